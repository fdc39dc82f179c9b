import logging

from odoo import http
from odoo.http import request

from ..models.rental_bank_event import MAX_BODY_BYTES

_logger = logging.getLogger(__name__)


class RentalBankWebhookController(http.Controller):
    """Bank webhooks: ``POST /rental_flow_bank/webhook/<connector webhook key>``.

    The key in the URL only selects the connector (it is random, not a credential);
    each delivery is authenticated per the connector's scheme (bearer token, shared
    secret header or HMAC signature). The answer is given as soon as the event is
    stored; processing happens after the commit or in the cron, never while the bank
    waits.
    """

    @http.route(
        "/rental_flow_bank/webhook/<string:key>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def rental_bank_webhook(self, key, **_params):
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is not None and length > MAX_BODY_BYTES:
            return request.make_json_response({"error": "payload too large"}, status=413)
        body = httprequest.get_data(cache=False)  # bounded by the Content-Length above
        headers = dict(httprequest.headers.items())
        status, payload = request.env["rental.bank.event"].sudo()._receive_webhook(
            key, headers, body
        )
        return request.make_json_response(payload, status=status)
