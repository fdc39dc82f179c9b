"""Owners' portal: their properties, statements and payouts (/my/rental...).

Record rules restrict portal users to the records of their commercial partner: the
pages search with the user's rights and only render what the rules let through; a
statement of another owner is refused like any document the user cannot read.
"""

from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError, MissingError
from odoo.http import request


class RentalOwnerPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        env = request.env
        if "rental_property_count" in counters:
            values["rental_property_count"] = (
                env["rental.property"].search_count([("kind", "!=", "building")])
                if env["rental.property"].has_access("read") else 0
            )
        if "rental_statement_count" in counters:
            values["rental_statement_count"] = (
                env["rental.owner.statement"].search_count([])
                if env["rental.owner.statement"].has_access("read") else 0
            )
        if "rental_payout_count" in counters:
            values["rental_payout_count"] = (
                env["rental.payout"].search_count(self._rental_payout_domain())
                if env["rental.payout"].has_access("read") else 0
            )
        return values

    def _rental_payout_domain(self):
        return [("state", "in", ("sent", "paid", "returned"))]

    def _rental_owner(self):
        return request.env.user.partner_id.commercial_partner_id

    @http.route(["/my/rental", "/my/rental/properties"], type="http", auth="user", website=True)
    def portal_my_rental_properties(self, **kw):
        properties = request.env["rental.property"].search([("kind", "!=", "building")])
        balances = {}
        owner = self._rental_owner()
        Balance = request.env["rental.owner.balance"].sudo()
        for company in properties.sudo().company_id:
            for row in Balance._balances(company, owner_ids=[owner.id],
                                         property_ids=properties.ids):
                balances[row["property_id"]] = row
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "rental_properties",
                "properties": properties.sudo(),
                "balances": balances,
            }
        )
        return request.render("rental_flow.portal_my_rental_properties", values)

    @http.route(["/my/rental/statements"], type="http", auth="user", website=True)
    def portal_my_rental_statements(self, **kw):
        statements = request.env["rental.owner.statement"].search([])
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "rental_statements", "statements": statements.sudo()})
        return request.render("rental_flow.portal_my_rental_statements", values)

    @http.route(
        ["/my/rental/statements/<int:statement_id>"], type="http", auth="public", website=True
    )
    def portal_my_rental_statement(self, statement_id, access_token=None, download=False,
                                   **kw):
        try:
            statement = self._document_check_access(
                "rental.owner.statement", statement_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if download or kw.get("report_type") == "pdf":
            return self._show_report(
                model=statement,
                report_type="pdf",
                report_ref="rental_flow.action_report_owner_statement",
                download=bool(download),
            )
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "rental_statement", "statement": statement})
        return request.render("rental_flow.portal_my_rental_statement", values)

    @http.route(["/my/rental/payouts"], type="http", auth="user", website=True)
    def portal_my_rental_payouts(self, **kw):
        payouts = request.env["rental.payout"].search(self._rental_payout_domain())
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "rental_payouts", "payouts": payouts.sudo()})
        return request.render("rental_flow.portal_my_rental_payouts", values)
