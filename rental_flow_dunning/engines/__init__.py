"""Pure-Python engines of Rental Flow - Dunning.

Nothing in this package imports Odoo: the engines take plain Python values (dataclasses,
integer cents, dates) and return plain values, so they are fast and can be tested without
a database. The Odoo models are thin glue around them.

- :mod:`.planner`: which reminder level, channels and recipients for each lease, and why;
- :mod:`.phone`: mobile numbers normalised to E.164 with ``phonenumbers``;
- :mod:`.quiet_hours`: when an SMS may be sent (no SMS at night nor on Sundays);
- :mod:`.sms_gateways`: HTTP clients of the SMS providers (OVHcloud, Twilio, Brevo) and the
  checks of their delivery-report callbacks;
- :mod:`.secrets`: encryption at rest of the providers' credentials.
"""
