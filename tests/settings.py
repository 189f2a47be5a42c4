"""Settings for the test suite: the real ones, with a throwaway key and a fast hasher."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
# A fixed identity key (tests only), so witness identities encrypt as in production.
os.environ.setdefault("GRAVESDB_IDENTITY_KEY", "tests:dGVzdHMtb25seS1pZGVudGl0eS1rZXktMzItYnl0ZXM=")

from gravesdb.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each run keeps its files apart, as it keeps its database apart: job and record
# names restart with each test database, and a file an earlier run left behind
# would make storage rename the new one.
_FILES = Path(tempfile.mkdtemp(prefix="gravesdb-test-files-"))
MEDIA_ROOT = _FILES / "media"
PRIVATE_ROOT = _FILES / "private"
for _name in ("import_export", "exchange"):
    STORAGES[_name]["OPTIONS"]["location"] = PRIVATE_ROOT / _name  # noqa: F405
SECURE_SSL_REDIRECT = False

# One test database per run: several runs may share one server (the embedded one
# in var/, or the CI server), and must not drop each other's database.
DATABASES["default"]["TEST"] = {"NAME": f"test_gravesdb_{os.getpid()}"}  # noqa: F405

# Django empties tables between transactional tests with TRUNCATE, which the audit
# guards refuse unless a superuser session asks for it (gravesdb.audit.guards).
DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
DATABASES["default"]["OPTIONS"]["options"] = (  # noqa: F405
    DATABASES["default"]["OPTIONS"].get("options", "") + " -c gravesdb.allow_truncate=on"  # noqa: F405
).strip()

# Two-factor sign-in is required of every role in production; the suite's fixtures
# log in with force_login, so it is switched on only by the tests about it
# (tests/security/test_web_accounts.py).
GRAVESDB_OTP_REQUIRED_ROLES = []
