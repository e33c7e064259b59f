"""Schemathesis hooks for Agora's fuzz run (scripts/fuzz.sh).

Signs in as the account of AGORA_FUZZ_EMAIL / AGORA_FUZZ_PASSWORD and signs in again every few
seconds: the fuzzer also calls /auth/logout and /auth/logout-all, which revoke the session whose
token it was using. By email, because onboarding lets the fuzzer change the username.
"""

import os

import requests
import schemathesis

BASE = os.environ["AGORA_FUZZ_BASE_URL"]


@schemathesis.auth(refresh_interval=5)
class AgoraBearer:
    def get(self, case, ctx):
        response = requests.post(
            f"{BASE}/api/v1/auth/login",
            json={
                "email": os.environ["AGORA_FUZZ_EMAIL"],
                "password": os.environ["AGORA_FUZZ_PASSWORD"],
            },
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
