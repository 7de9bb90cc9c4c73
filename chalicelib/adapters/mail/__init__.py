"""The mail port's adapters: Amazon SES v2 in AWS, SMTP in the local run and the tests."""
