"""`egov signing …`: digital signatures from the command line.

egov signing dev-ca --out DIR        development CA: root, TSA, the province's seal and the
                                     demo officers' certificates as PKCS#12 files in DIR,
                                     the password in DIR/password.txt; trusts the root and
                                     stores the keys of officers present in the database
egov signing sign IN OUT --p12 FILE --password-env VAR [--invisible] [--reason R] [--tsa URL]
egov signing verify FILE             every signature; exit 0 only when all are intact and
                                     trusted, 1 when one is not (or none), 2 on bad input
egov signing tsa --dir DIR [--port N] a local RFC 3161 timestamp responder (development)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext

from egov.core.errors import EgovError
from egov.directory.demo import OFFICERS, PROVINCE_ID, organization_specs
from egov.directory.models import Officer, Organization
from egov.signing import devca, keys, pdf, selectors, services, stamps, verify
from egov.signing.tsa import HttpTimeStamper, LocalTimestampAuthority

EXIT_OK = 0
EXIT_NOT_TRUSTED = 1
EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = "Digital signatures: dev-ca, sign, verify, tsa."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{dev-ca,sign,verify,tsa}")
        ca = actions.add_parser("dev-ca", help="create a development CA")
        ca.add_argument("--out", required=True, help="folder for the PKCS#12 files")
        ca.add_argument("--no-register", action="store_true", help="write files only")
        sign = actions.add_parser("sign", help="sign a PDF with a PKCS#12 file")
        sign.add_argument("input")
        sign.add_argument("output")
        sign.add_argument("--p12", required=True)
        sign.add_argument("--password-env", required=True, help="variable holding the password")
        sign.add_argument("--invisible", action="store_true", help="no visible stamp")
        sign.add_argument("--reason", default="")
        sign.add_argument("--tsa", default="", help="timestamp authority URL (PAdES B-T)")
        check = actions.add_parser("verify", help="verify the signatures of a PDF")
        check.add_argument("file")
        tsa = actions.add_parser("tsa", help="run a development timestamp responder")
        tsa.add_argument("--dir", required=True, help="the dev-ca folder")
        tsa.add_argument("--port", type=int, default=3161)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        try:
            if action == "dev-ca":
                self._dev_ca(Path(options["out"]), register=not options["no_register"])
            elif action == "sign":
                self._sign(options)
            elif action == "verify":
                self._verify(Path(options["file"]))
            elif action == "tsa":
                self._tsa(Path(options["dir"]), options["port"])
            else:
                self._fail(gettext("Choose one of: dev-ca, sign, verify, tsa."))
        except EgovError as exc:
            self._fail(str(exc.message))

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        sys.exit(EXIT_BAD_INPUT)

    # --- dev-ca --------------------------------------------------------------------------------
    def _dev_ca(self, out: Path, *, register: bool) -> None:
        names = {spec.code: spec.name_vi for spec in organization_specs()}
        parents = {spec.code: spec.parent for spec in organization_specs()}

        def organization_of(code: str) -> str:
            node = code
            while parents.get(node) and node.count(".") > 1:
                node = parents[node] or node
            return names.get(node, "")

        officers = [
            devca.OfficerCert(
                o.username, o.full_name, organization_of(o.unit), names.get(o.unit, "")
            )
            for o in OFFICERS
        ]
        ca = devca.build_dev_ca(
            seal_org_code=PROVINCE_ID, seal_org_name=names[PROVINCE_ID], officers=officers
        )
        devca.write_dev_ca(ca, out)
        self.stdout.write(
            gettext("Development CA written to %(dir)s (password in %(file)s).")
            % {"dir": out, "file": out / devca.PASSWORD_FILE}
        )
        if not register:
            return
        root_pem = (out / devca.ROOT_CERT_FILE).read_bytes()
        services.trusted_root_add(actor=None, certificate=root_pem, name="Open eGov VN dev root")
        self.stdout.write(gettext("Root certificate registered as trusted."))
        services.revocation_list_register(
            actor=None,
            name=devca.CRL_NAME,
            issuer_certificate=root_pem,
            issuer_key=ca.root.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        self.stdout.write(
            gettext("Revocation list published at %(url)s.") % {"url": ca.crl_url or "-"}
        )
        stored = 0
        for officer in Officer.objects.select_related("account").filter(
            account__username__in=list(ca.officers)
        ):
            issued = ca.officers[officer.account.username]
            services.signing_key_import_pkcs12(
                actor=None,
                data=issued.pkcs12(ca.password),
                password=ca.password,
                officer=officer,
            )
            stored += 1
        province = Organization.objects.filter(code=PROVINCE_ID).first()
        if province is not None:
            services.signing_key_import_pkcs12(
                actor=None,
                data=ca.seal.pkcs12(ca.password),
                password=ca.password,
                organization=province,
            )
            stored += 1
        self.stdout.write(gettext("%(count)d keys stored for the demo.") % {"count": stored})

    # --- sign ----------------------------------------------------------------------------------
    def _sign(self, options: dict[str, Any]) -> None:
        variable = options["password_env"]
        password = os.environ.get(variable)
        if password is None:
            self._fail(gettext("The variable %(name)s is not set.") % {"name": variable})
        source = Path(options["input"])
        try:
            data = source.read_bytes()
            p12 = Path(options["p12"]).read_bytes()
        except OSError as exc:
            self._fail(str(exc))
        loaded = keys.signer_for(keys.Pkcs12Source(p12), password, cached=False)
        keys.check_certificate_period(loaded.certificate)
        reader = pdf.read_pdf(data)
        pdf.check_signatures_intact(reader)
        stamp = None
        if not options["invisible"]:
            placement = stamps.DEFAULT_PLACEMENTS[stamps.Kind.PERSON]
            page = pdf.page_count(reader) - 1
            lines = tuple(
                line
                for line in (
                    loaded.organization,
                    loaded.common_name,
                    gettext("Signed: %(time)s") % {"time": pdf.signing_time_text()},
                )
                if line
            )
            stamp = pdf.StampRequest(
                stamps.StampText(stamps.Kind.PERSON, lines),
                page,
                stamps.place(placement, pdf.page_media_box(reader, page)),
            )
        timestamper = HttpTimeStamper(options["tsa"]) if options["tsa"] else None
        signed = pdf.sign_pdf(
            data,
            loaded=loaded,
            reason=options["reason"],
            stamp=stamp,
            timestamper=timestamper,
            reader=reader,
        )
        Path(options["output"]).write_bytes(signed)
        self.stdout.write(
            gettext("Signed by %(name)s: %(file)s (SHA-256 %(hash)s)")
            % {
                "name": loaded.common_name,
                "file": options["output"],
                "hash": pdf.sha256_hex(signed),
            }
        )

    # --- verify --------------------------------------------------------------------------------
    def _verify(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._fail(str(exc))
        reports = verify.verify_pdf(
            data, selectors.trusted_roots_der(), selectors.revocation_lists_der()
        )
        if not reports:
            self.stdout.write(gettext("The document carries no signature."))
            sys.exit(EXIT_NOT_TRUSTED)
        for index, report in enumerate(reports, start=1):
            self.stdout.write(describe(index, report))
        sys.exit(EXIT_OK if all(r.ok for r in reports) else EXIT_NOT_TRUSTED)

    # --- tsa -----------------------------------------------------------------------------------
    def _tsa(self, folder: Path, port: int) -> None:
        password = (folder / devca.PASSWORD_FILE).read_text().strip()
        issued = devca.load_issued(folder / devca.TSA_FILE, password)
        authority = LocalTimestampAuthority(issued.certificate, issued.key, issued.chain)
        url = authority.serve(port=port)
        self.stdout.write(
            gettext("Timestamp responder at %(url)s (Ctrl+C stops it).") % {"url": url}
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            authority.shutdown()


def describe(index: int, report: verify.SignatureReport) -> str:
    """A few lines for one signature, in the active language."""
    chain = {
        verify.TRUSTED: gettext("trusted"),
        verify.UNTRUSTED: gettext("not trusted (unknown certification authority)"),
        verify.EXPIRED: gettext("certificate expired"),
        verify.REVOKED: gettext("certificate revoked"),
        verify.INVALID: gettext("signature invalid"),
    }[report.chain_status]
    changed = {
        verify.UNCHANGED: gettext("not changed after signing"),
        verify.SIGNATURES_ADDED: gettext("only signatures added after signing"),
        verify.MODIFIED: gettext("CHANGED after signing"),
    }[report.modification]
    when = timezone.localtime(report.signing_time).isoformat() if report.signing_time else "?"
    return "\n".join(
        [
            f"#{index} {report.field_name}: {'OK' if report.ok else gettext('NOT VALID')}",
            "  " + gettext("signer: %(name)s") % {"name": report.signer_name},
            "  " + gettext("organisation: %(org)s") % {"org": report.signer_organization or "-"},
            "  " + gettext("time: %(time)s (%(level)s)") % {"time": when, "level": report.level},
            "  " + gettext("chain: %(status)s") % {"status": chain},
            "  "
            + gettext("intact: %(intact)s, %(changed)s")
            % {"intact": gettext("yes") if report.intact else gettext("no"), "changed": changed},
        ]
    )
