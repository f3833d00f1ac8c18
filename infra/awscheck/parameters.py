"""Checks parameter values against template.yaml's constraints as
CloudFormation would, and prints the results as JSON.

Usage: parameters.py TEMPLATE SAMCONFIG NAME=VALUE...

It reads samconfig.toml's [default.deploy.parameters] parameter_overrides,
and checks each of its values and each NAME=VALUE given against the
parameter's AllowedPattern and AllowedValues. Patterns are evaluated with
Python's re, whose syntax and semantics match Java's (which CloudFormation
uses) for the constructs the template uses, negative lookahead included;
Go's RE2 has no lookahead. CloudFormation applies a pattern to the whole
value, hence re.fullmatch.
"""

import json
import re
import shlex
import sys
import tomllib

from samtranslator.yaml_helper import yaml_parse


def check(param, value):
    """Returns why CloudFormation would refuse value, or "" if it would not."""
    pattern = param.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        return f"does not match AllowedPattern {pattern}"
    allowed = param.get("AllowedValues")
    if allowed is not None and value not in [str(v) for v in allowed]:
        return f"is not one of AllowedValues {allowed}"
    if "MinLength" in param and len(value) < int(param["MinLength"]):
        return f"is shorter than MinLength {param['MinLength']}"
    return ""


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    with open(argv[1], encoding="utf-8") as f:
        params = yaml_parse(f.read())["Parameters"]
    with open(argv[2], "rb") as f:
        samconfig = tomllib.load(f)
    # sam splits parameter_overrides like a shell command line.
    overrides = shlex.split(samconfig["default"]["deploy"]["parameters"]["parameter_overrides"])

    def results(pairs):
        out = []
        for kv in pairs:
            name, value = kv.split("=", 1)
            out.append({"name": name, "value": value, "refusal": check(params[name], value) if name in params else "not a parameter"})
        return out

    json.dump(
        {
            "parameters": {
                name: {
                    "hasDefault": "Default" in p,
                    "constraintDescription": p.get("ConstraintDescription", ""),
                }
                for name, p in params.items()
            },
            "samconfig": results(overrides),
            "given": results(argv[3:]),
        },
        sys.stdout,
        indent=1,
    )


if __name__ == "__main__":
    main(sys.argv)
