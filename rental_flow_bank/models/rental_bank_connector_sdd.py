from odoo import api, models


class RentalBankConnector(models.Model):
    """Direct debits through a bank API: a hook for the connectors that can take them."""

    _inherit = "rental.bank.connector"

    def _rental_sdd_supports_direct_debits(self):
        """Whether this connector initiates SEPA direct debits at its bank.

        False here: the collections go into a pain.008 file. A provider that can take
        direct debits overrides this and :meth:`_rental_sdd_send_debits`.
        """
        self.ensure_one()
        return False

    def _rental_sdd_send_debits(self, collection, debits):
        """Send ``debits`` of ``collection`` to the bank; return True when it took them.

        Overrides must defer the API call until the transaction commits
        (``self.env.cr.postcommit.add``) so that nothing is collected if the
        transaction is rolled back. Returning False sends the debits in the file.
        """
        self.ensure_one()
        return False

    @api.model
    def _rental_sdd_connector(self, journal):
        """The active connector of ``journal`` that takes direct debits, if any."""
        connectors = self.search([("journal_id", "=", journal.id)])
        return connectors.filtered(lambda c: c._rental_sdd_supports_direct_debits())[:1]
