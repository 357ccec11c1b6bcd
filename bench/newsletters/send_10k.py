"""An edition to 10,000 subscribers through a local SMTP server; the sender SIGKILLed half-way, then restarted.

    createdb -h 127.0.0.1 -U postgres maillage_newsletters_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/maillage_newsletters_bench .venv/bin/python manage.py migrate -v0
    flock /tmp/bench.lock .venv/bin/python bench/newsletters/send_10k.py --port 5432 \
        --database maillage_newsletters_bench --output /tmp/send_10k.md [--subscribers 10000]

The SMTP server (aiosmtpd, in this process) counts every accepted copy per address. The sender is the real
command (`maillage newsletters_send`) in its own process; its resident memory is sampled every 0.2 s.
Figures are printed with the load average and appended to --output (the committed RESULTS.md is updated by hand).
The bench replaces only what it made: its list ("Bench 10k"), that list's editions and deliveries, and its
subscribers (token "bench-token-…"); other lists and subscribers in the database are left as they are.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_options
from bench_options import ROOT as PROJECT


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_options.add_options(parser)
    parser.add_argument("--subscribers", type=int, default=10000)
    parser.add_argument("--rate", default="100000", help="MAILLAGE_NEWSLETTER_RATE of the sender (emails per hour)")
    return parser.parse_args()


ARGS = _arguments()
bench_options.setup_django(ARGS.port, ARGS.database)

from aiosmtpd.controller import Controller  # noqa: E402
from django.utils import timezone  # noqa: E402

from maillage.newsletters.models import (  # noqa: E402
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    NewsletterList,
    Subscriber,
)

TOTAL = ARGS.subscribers
LIST_NAME = "Bench 10k"  # the list this bench makes (and the only one it empties)
TOKEN = "bench-token-"  # its subscribers' token prefix


class Inbox:
    def __init__(self) -> None:
        self.received: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def setup() -> Edition:
    """The bench's own list and subscribers, made again (a previous run's removed, nothing else touched)."""
    ours = NewsletterList.objects.filter(name_fr=LIST_NAME, name_nl=LIST_NAME)
    Edition.objects.filter(newsletter__in=ours).delete()  # their deliveries go with them
    Subscriber.objects.filter(token__startswith=TOKEN).delete()
    ours.delete()
    newsletter = NewsletterList.objects.create(name_fr=LIST_NAME, name_nl=LIST_NAME, language="both")
    now = timezone.now()
    Subscriber.objects.bulk_create(
        (Subscriber(email=f"s{n:05d}@example.org", language="nl" if n % 3 == 0 else "fr", confirmed_at=now, token=f"{TOKEN}{n:06d}")
         for n in range(TOTAL)),
        batch_size=2000,
    )  # fmt: skip
    through = Subscriber.lists.through
    through.objects.bulk_create(
        (
            through(subscriber_id=pk, newsletterlist_id=newsletter.pk)
            for pk in Subscriber.objects.values_list("pk", flat=True)
        ),
        batch_size=5000,
    )
    return Edition.objects.create(
        newsletter=newsletter, subject_fr="Nouvelles du réseau", subject_nl="Nieuws uit het netwerk",
        body_fr="Bonjour **à toutes et tous**.\n\n- point 1\n- point 2\n\n[Le site](https://example.org)" * 5,
        body_nl="Dag **iedereen**.\n\n- punt 1\n- punt 2\n\n[De site](https://example.org)" * 5,
        status=EditionStatus.SCHEDULED, scheduled_at=now,
    )  # fmt: skip


def run_sender(edition: Edition, env: dict[str, str], inbox: Inbox, *, kill_at: int | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "maillage", "newsletters_send", "--edition", str(edition.pk)]
    started = time.monotonic()
    before = len(inbox.received)
    process = subprocess.Popen(command, env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, int]] = []
    killed = False
    while process.poll() is None:
        samples.append((time.monotonic() - started, rss_kb(process.pid)))
        if kill_at is not None and len(inbox.received) >= kill_at:
            process.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.2)
    out, err = process.communicate()
    elapsed = time.monotonic() - started
    sent = len(inbox.received) - before
    return {
        "killed": killed,
        "elapsed": elapsed,
        "sent": sent,
        "samples": samples,
        "stdout": out.strip(),
        "stderr": err[-500:],
    }


def main(output: Path) -> None:
    edition = setup()
    inbox = Inbox()
    port = bench_options.free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = dict(os.environ)
    env.update(
        MAILLAGE_EMAIL_HOST="127.0.0.1", MAILLAGE_EMAIL_PORT=str(port), MAILLAGE_EMAIL_TLS="false",
        MAILLAGE_NEWSLETTER_RATE=ARGS.rate, MAILLAGE_NEWSLETTER_LEASE_SECONDS="3",
        MAILLAGE_LOG_LEVEL="WARNING",
    )  # fmt: skip
    try:
        first = run_sender(edition, env, inbox, kill_at=TOTAL // 2)
        time.sleep(3.5)  # the dead sender's lease runs out
        second = run_sender(edition, env, inbox, kill_at=None)
    finally:
        controller.stop()
    copies = Counter(inbox.received)
    sent_rows = Delivery.objects.filter(edition=edition, status=DeliveryStatus.SENT).count()
    twice = sum(1 for n in copies.values() if n > 1)
    skipped = TOTAL - len(copies)
    rss = [kb for _t, kb in second["samples"] if kb]
    steady = rss[len(rss) // 5 :] or rss
    load = os.getloadavg()
    lines = [
        f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — edition to {TOTAL} subscribers, sender SIGKILLed at half",
        "",
        f"- {bench_options.stamp()}, database {ARGS.database}",
        f"- load average before/after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (`uptime`: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()})",
        f"- first sender: {first['sent']} accepted in {first['elapsed']:.1f} s, then SIGKILL (killed={first['killed']})",
        (
            f"- second sender (after the 3 s lease): {second['sent']} accepted in {second['elapsed']:.1f} s "
            f"(process start included) → {second['sent'] / second['elapsed']:.0f} emails/s; its output: `{second['stdout']}`"
        ),
        (
            f"- counted at the SMTP server: {len(inbox.received)} copies, {len(copies)} distinct addresses, "
            f"{twice} address(es) twice, {skipped} skipped; delivery rows sent: {sent_rows}"
        ),
        (
            f"- second sender's resident memory: first sample {rss[0] if rss else 0} kB, "
            f"steady part min {min(steady) if steady else 0} kB max {max(steady) if steady else 0} kB over {len(rss)} samples"
        ),
        "",
    ]
    print("\n".join(lines))
    with output.open("a") as results:
        results.write("\n".join(lines) + "\n")
    assert twice == 0, "someone received two copies"
    assert skipped == 0, "someone was skipped"


if __name__ == "__main__":
    main(ARGS.output)
