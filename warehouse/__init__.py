"""The PostgreSQL warehouse: how to reach it, its versioned migrations, and its least-privilege roles."""
