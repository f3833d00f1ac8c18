// Package webtest drives the User Management web page (web/) in real
// Chromium against the local stack started in-process: the journeys of SPEC
// §2 through the page, keyboard use, narrow screens and axe-core checks. Its
// tests skip without DynamoDB Local (unless REQUIRE_DYNAMODB is set) or
// without Chromium (unless REQUIRE_BROWSER is set); `make test` provides
// both. Screenshots go to testdata/artifacts/web (or $WEBTEST_ARTIFACTS).
package webtest
