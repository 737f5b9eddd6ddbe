"""The shop owner's summary e-mail (``clickstream report``): the dashboard's numbers for yesterday or the last week,
rendered as HTML and plain text, sent with Amazon SES or written to a folder, and an alert on the alarm topic when
orders or events fall well below the comparison period. Ships to the warehouse EC2 beside ``dashboard/``, whose
data layer is the only way it reads the marts."""
