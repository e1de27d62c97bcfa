"""The MTC domain: facts about MigrationController, DVM pods, ports and firewalls, and the rules built on them."""
