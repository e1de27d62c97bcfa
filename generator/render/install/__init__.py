"""spec §8 output: the MTC operator, the replication repository and the cluster registrations of one cluster."""
