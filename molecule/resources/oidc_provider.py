"""An OpenID Connect provider for tests: PyPI's oidc-provider-mock, served over TLS.

The mock is a Flask app that takes the issuer from the request; served by
uvicorn with a certificate, its issuer is https://HOST:PORT. Its authorize page
is a form that posts the user's `sub`. Users (their groups in the `groups`
claim):
    alice    mlflow-admin, mlflow   (an MLflow administrator)
    bob      mlflow                 (an MLflow user)
    mallory  contractors            (in neither group: MLflow must refuse her)

Usage: oidc_provider.py HOST PORT CERT KEY
"""

import sys
from datetime import timedelta

import uvicorn
from oidc_provider_mock import app
from oidc_provider_mock._storage import User

USERS = {
    "alice": ["mlflow-admin", "mlflow"],
    "bob": ["mlflow"],
    "mallory": ["contractors"],
}


def main():
    host, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    users = [User(sub=name, claims={"email": f"{name}@example.test", "name": name.title(), "groups": groups})
             for name, groups in USERS.items()]
    provider = app(user_claims=users, access_token_max_age=timedelta(hours=1))
    uvicorn.run(provider, host=host, port=port, interface="wsgi", ssl_certfile=cert, ssl_keyfile=key,
                log_level="info")


if __name__ == "__main__":
    main()
