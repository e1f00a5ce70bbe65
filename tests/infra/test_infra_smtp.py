"""The SMTP capture is a real SMTP server that stores each mail unchanged in a Maildir."""

from __future__ import annotations

import email.policy
import json
import mailbox
import smtplib
import uuid
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aihub_local.cli import app
from aihub_local.smtp_capture import envelope_header_lines
from aihub_local.stack import StackEndpoints
from aihub_local.testing import eventually

pytestmark = pytest.mark.integration


async def _find(mail_dir: Path, message_id: str) -> tuple[str, bytes]:
    async def stored() -> tuple[str, bytes] | None:
        box = mailbox.Maildir(mail_dir, create=False)
        for key in box.iterkeys():
            raw = box.get_bytes(key)
            if message_id.encode() in raw:
                return key, raw
        return None

    return await eventually(
        stored, within=10, what=f"the mail with Message-ID {message_id} in {mail_dir}"
    )


async def test_mail_is_stored_byte_for_byte_with_its_envelope(local_stack: StackEndpoints) -> None:
    token = uuid.uuid4().hex
    message_id = f"<{token}@infra-test.aihub.local>"
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "서울 AI 허브 <noreply@aihub.example>"
    message["To"] = "심사위원 <reviewer@aihub.example>"
    message["Subject"] = f"[서울 AI 허브] 서류평가 배정 안내 {token[:6]}"
    message["Message-ID"] = message_id
    message["X-AIHub-Correlation-Id"] = token
    message.set_content("안녕하세요.\n서류평가가 배정되었습니다.\n.\nDot-line above on purpose.\n")
    raw = message.as_bytes()
    envelope_to = ["reviewer@aihub.example", "hidden-bcc@aihub.example"]

    with smtplib.SMTP(local_stack.smtp_host, local_stack.smtp_port, timeout=10) as client:
        refused = client.sendmail("bounces@aihub.example", envelope_to, raw)
    assert refused == {}

    key, stored = await _find(local_stack.mail_dir, message_id)
    # Exactly what was sent (dot-stuffing undone), after the envelope lines.
    assert stored == envelope_header_lines("bounces@aihub.example", envelope_to) + raw

    parsed = mailbox.Maildir(local_stack.mail_dir, create=False)[key]
    assert parsed["X-Envelope-From"] == "bounces@aihub.example"
    assert parsed.get_all("X-Envelope-To") == envelope_to
    assert parsed["Message-ID"] == message_id
    assert parsed["X-AIHub-Correlation-Id"] == token
    assert str(make_header(decode_header(parsed["Subject"]))) == str(message["Subject"])
    assert str(make_header(decode_header(parsed["From"]))) == "서울 AI 허브 <noreply@aihub.example>"
    body = email.message_from_bytes(stored, policy=email.policy.default)
    assert isinstance(body, EmailMessage)
    content = body.get_content()
    assert "서류평가가 배정되었습니다." in content
    assert "\n.\n" in content.replace("\r\n", "\n")

    # People read the same Maildir with `aihub-local mail list`.
    result = CliRunner().invoke(
        app, ["mail", "list", "--state-dir", str(local_stack.state_dir), "--limit", "0", "--json"]
    )
    assert result.exit_code == 0, result.output
    (listed,) = [row for row in json.loads(result.output) if row["key"] == key]
    assert listed["subject"] == str(message["Subject"])
    assert listed["from"] == "서울 AI 허브 <noreply@aihub.example>"
    assert listed["to"] == ["심사위원 <reviewer@aihub.example>"]
    assert listed["envelope_to"] == envelope_to
