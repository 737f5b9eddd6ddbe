"""Clickstream Warehouse: the local command line and the pieces that run outside the Lambdas."""
