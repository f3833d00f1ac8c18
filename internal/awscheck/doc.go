// Package awscheck holds tests only: template.yaml checked by the real AWS
// tools instead of by reading it in Go. cfn-lint lints it, aws-sam-translator
// transforms it as CloudFormation would, and the transformed template is
// created as a stack in a moto server the test starts on 127.0.0.1, whose
// APIs then list what was created. The Python side is the scripts in
// infra/awscheck; the assertions are here, against the code (the route table
// of internal/httpapi, the functions of template.yaml).
//
// The tools are Python 3.11 packages (infra/awscheck/requirements.txt) that
// nothing in the repository installs. Where they are missing the tests skip,
// saying what is missing, unless REQUIRE_AWS_TOOLS is set, as `make test`
// sets it, in which case they fail: a green `make test` means they ran.
package awscheck
