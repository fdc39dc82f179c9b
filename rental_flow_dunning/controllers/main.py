import hmac
import json
import logging

from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import http
from odoo.http import request

from ..engines import sms_gateways as gateways

_logger = logging.getLogger(__name__)


class DunningSmsController(http.Controller):
    """Delivery reports of the SMS providers.

    Twilio signs its callbacks (``X-Twilio-Signature``, checked against the auth token);
    OVHcloud and Brevo call a URL carrying the provider's secret callback token (compared
    in constant time). A report for an unknown message is acknowledged and ignored, so that
    the provider does not retry it forever.
    """

    def _provider(self, provider_id, kind):
        provider = request.env["rental.sms.provider"].sudo().browse(provider_id).exists()
        if not provider or not provider.active or provider.kind != kind:
            raise NotFound()
        return provider

    def _apply(self, provider, payload):
        try:
            message_id, state, detail = gateways.normalize_report(provider.kind, payload)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        credits = payload.get("credits_used") if provider.kind == "brevo" else None
        histories = request.env["sms.sms"].sudo()._rental_handle_report(
            provider, message_id, state, detail, credits=credits
        )
        if not histories:
            _logger.info("SMS delivery report for unknown message %s (%s)", message_id,
                         provider.kind)
        return request.make_response("OK", headers=[("Content-Type", "text/plain")])

    @http.route(
        "/rental_dunning/sms/twilio/<int:provider_id>/status",
        type="http", auth="public", methods=["POST"], csrf=False, save_session=False,
    )
    def twilio_status(self, provider_id, **kwargs):
        provider = self._provider(provider_id, "twilio")
        form = request.httprequest.form
        params = {key: form.getlist(key) for key in form}
        signature = request.httprequest.headers.get("X-Twilio-Signature", "")
        token = provider._get_secret("secret")
        urls = {provider._status_url(), request.httprequest.url}
        if not any(gateways.verify_twilio_signature(token, url, params, signature)
                   for url in urls):
            _logger.warning("Twilio delivery report with a bad signature (provider %s)",
                            provider.id)
            raise Forbidden()
        return self._apply(provider, {key: values[-1] for key, values in params.items()})

    @http.route(
        "/rental_dunning/sms/<string:kind>/<int:provider_id>/<string:token>/status",
        type="http", auth="public", methods=["GET", "POST"], csrf=False, save_session=False,
    )
    def token_status(self, kind, provider_id, token, **kwargs):
        if kind not in ("ovh", "brevo"):
            raise NotFound()
        provider = self._provider(provider_id, kind)
        expected = provider.callback_token or ""
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            _logger.warning("SMS delivery report with a bad token (provider %s)", provider.id)
            raise Forbidden()
        payload = dict(request.httprequest.args)
        payload.update(request.httprequest.form)
        raw = request.httprequest.get_data(cache=True)
        content_type = request.httprequest.headers.get("Content-Type", "")
        if raw and "json" in content_type:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise BadRequest("the report is not JSON") from exc
            if not isinstance(body, dict):
                raise BadRequest("the report is not a JSON object")
            payload.update(body)
        return self._apply(provider, payload)
