"""Prints, as JSON, the versions of the Python tools the checks use, and
exits 1 naming those that cannot be imported."""

import importlib.metadata
import json
import sys

# Distribution name -> module the checks import.
TOOLS = {
    "cfn-lint": "cfnlint",
    "aws-sam-translator": "samtranslator",
    "moto": "moto.server",
    "boto3": "boto3",
}

versions, missing = {}, []
for dist, module in TOOLS.items():
    try:
        __import__(module)
        versions[dist] = importlib.metadata.version(dist)
    except Exception as e:  # an absent or broken install alike
        missing.append(f"{dist} ({module}: {e})")
print(json.dumps({"versions": versions, "missing": missing}))
sys.exit(1 if missing else 0)
