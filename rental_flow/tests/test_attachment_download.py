from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestAttachmentDownload(TransactionCase):
    def test_one_file_downloads_several_are_listed(self):
        Attachment = self.env["ir.attachment"]
        files = Attachment.create([
            {"name": "CORE.xml", "raw": b"<a/>"},
            {"name": "B2B.xml", "raw": b"<b/>"},
        ])
        one = files[0]._rental_download_action()
        self.assertEqual(one["type"], "ir.actions.act_url")
        self.assertEqual(one["url"], f"/web/content/{files[0].id}?download=true")
        both = files._rental_download_action()
        self.assertEqual(both["type"], "ir.actions.act_window")
        self.assertEqual(both["domain"], [("id", "in", files.ids)])
