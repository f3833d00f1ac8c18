"""Creates a transformed template (transform.py's output) as a stack in a
moto server, then lists what moto created, as JSON on stdout.

Usage: deploy.py ENDPOINT TEMPLATE.json CODE_URI STACK NAME=VALUE...

ENDPOINT is the moto server's URL (the test starts it on 127.0.0.1).
CODE_URI is the s3://bucket/key every function's code points to: the bucket
and a zip are created first, as `sam package` would have uploaded them, since
moto's Lambda reads the code when it creates a function. NAME=VALUE pairs are
the stack's parameters.

The listing is read back from the services' own APIs (not from the
template), so it shows what was really created: the stack's status and
resources, DynamoDB tables, Lambda functions and event source mappings, SQS
queues, EventBridge rules on every bus, SNS topics and subscriptions, and
API Gateway v2 APIs with their routes. Last, the stack is deleted and the
tables, functions and queues that remain are listed.
"""

import io
import json
import os
import sys
import time
import zipfile
from urllib.parse import urlparse

import boto3

REGION = "us-east-1"
STACK_TIMEOUT_SECONDS = 120


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    endpoint, template_path, code_uri, stack = argv[1:5]
    params = dict(kv.split("=", 1) for kv in argv[5:])
    # moto accepts any credentials; fixed ones keep a developer's real
    # profile out of the way, so nothing can reach AWS by mistake.
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
    )
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)

    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION)

    code = urlparse(code_uri)
    s3 = client("s3")
    s3.create_bucket(Bucket=code.netloc)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        # Never run: moto creates functions without invoking them.
        z.writestr("bootstrap", "#!/bin/sh\nexit 1\n")
    s3.put_object(Bucket=code.netloc, Key=code.path.lstrip("/"), Body=buf.getvalue())

    with open(template_path, encoding="utf-8") as f:
        body = f.read()
    cf = client("cloudformation")
    cf.create_stack(
        StackName=stack,
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    deadline = time.monotonic() + STACK_TIMEOUT_SECONDS
    while True:
        s = cf.describe_stacks(StackName=stack)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    out = {
        "stackStatus": s["StackStatus"],
        "stackStatusReason": s.get("StackStatusReason", ""),
        # moto lists a resource type its CloudFormation cannot create as an
        # entry without a logical id; only the created ones are kept.
        "resources": [
            {
                "logicalId": r["LogicalResourceId"],
                "type": r.get("ResourceType", ""),
                "physicalId": r.get("PhysicalResourceId", ""),
                "status": r.get("ResourceStatus", ""),
            }
            for r in cf.describe_stack_resources(StackName=stack)["StackResources"]
            if r.get("LogicalResourceId")
        ],
    }

    ddb = client("dynamodb")
    out["tables"] = [ddb.describe_table(TableName=n)["Table"] for n in ddb.list_tables()["TableNames"]]

    lam = client("lambda")
    out["functions"] = lam.list_functions()["Functions"]
    out["eventSourceMappings"] = lam.list_event_source_mappings()["EventSourceMappings"]

    sqs = client("sqs")
    out["queues"] = [
        {"url": url, "attributes": sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]}
        for url in sqs.list_queues().get("QueueUrls", [])
    ]

    events = client("events")
    out["rules"] = []
    for bus in events.list_event_buses()["EventBuses"]:
        for rule in events.list_rules(EventBusName=bus["Name"])["Rules"]:
            rule["Targets"] = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])["Targets"]
            out["rules"].append(rule)

    sns = client("sns")
    out["topics"] = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    out["subscriptions"] = sns.list_subscriptions()["Subscriptions"]

    apigw = client("apigatewayv2")
    out["httpApis"] = []
    for api in apigw.get_apis()["Items"]:
        api["Routes"] = [r["RouteKey"] for r in apigw.get_routes(ApiId=api["ApiId"])["Items"]]
        out["httpApis"].append(api)

    # Then the stack is deleted, and what survives it listed: the resources
    # with DeletionPolicy Retain should, and the others should be gone.
    cf.delete_stack(StackName=stack)
    deadline = time.monotonic() + STACK_TIMEOUT_SECONDS
    status = ""
    while time.monotonic() < deadline:
        stacks = [x for x in cf.list_stacks()["StackSummaries"] if x["StackName"] == stack]
        status = stacks[0]["StackStatus"] if stacks else "GONE"
        if not status.endswith("_IN_PROGRESS"):
            break
        time.sleep(0.2)
    out["afterDelete"] = {
        "stackStatus": status,
        "tables": ddb.list_tables()["TableNames"],
        "functions": [f["FunctionName"] for f in lam.list_functions()["Functions"]],
        "queues": sqs.list_queues().get("QueueUrls", []),
    }

    # Dates and other non-JSON values are printed as strings.
    json.dump(out, sys.stdout, default=str, indent=1)


if __name__ == "__main__":
    main(sys.argv)
