// Package apispec reads docs/openapi.yaml, the OpenAPI 3.1 description of
// the HTTP API (SPEC §4), and validates real requests and responses against
// it with libopenapi-validator. Tests use it to keep the document and the
// code in agreement: the route table against the document's operations, and
// the handlers' answers against the document's schemas, status codes and
// headers.
package apispec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Path is where the document lives, relative to the repository root.
const Path = "docs/openapi.yaml"

// Spec is a loaded OpenAPI document and a validator for it.
type Spec struct {
	model     *v3.Document
	doc       libopenapi.Document
	validator validator.Validator
}

// Operation is one operation of the document.
type Operation struct {
	ID     string
	Method string // upper case, as net/http spells it
	Path   string
	// Statuses are the response status codes the operation documents,
	// in increasing order.
	Statuses []int
}

// Load reads and parses the document at path.
func Load(path string) (*Spec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("apispec: %w", err)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, fmt.Errorf("apispec: %s: %w", path, err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("apispec: %s: %w", path, err)
	}
	v := validator.NewValidatorFromV3Model(&model.Model,
		// format: email and date-time are part of the contract, not
		// annotations.
		config.WithFormatAssertions(),
		// Callers authenticate the way they choose (a test injects the
		// caller); the document's bearer scheme is checked by API Gateway.
		config.WithoutSecurityValidation(),
	)
	return &Spec{model: &model.Model, doc: doc, validator: v}, nil
}

// Version is the document's openapi field.
func (s *Spec) Version() string { return s.model.Version }

// ValidateDocument checks the document against the OpenAPI schema of its
// version.
func (s *Spec) ValidateDocument() error {
	v, errs := validator.NewValidator(s.doc)
	if len(errs) > 0 {
		return fmt.Errorf("apispec: %w", errors.Join(errs...))
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return joinValidation("the document is not valid OpenAPI", verrs)
	}
	return nil
}

// Operations returns the document's operations, ordered by path and method.
func (s *Spec) Operations() []Operation {
	var out []Operation
	if s.model.Paths == nil || s.model.Paths.PathItems == nil {
		return nil
	}
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			o := Operation{ID: op.OperationId, Method: strings.ToUpper(method), Path: path}
			if op.Responses != nil && op.Responses.Codes != nil {
				for code := range op.Responses.Codes.FromOldest() {
					if n, err := strconv.Atoi(code); err == nil {
						o.Statuses = append(o.Statuses, n)
					}
				}
			}
			sort.Ints(o.Statuses)
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// ValidateRequest checks a request (its path, query and header parameters
// and its body) against the document. The body is read and put back.
func (s *Spec) ValidateRequest(req *http.Request) error {
	restore, err := rewind(&req.Body)
	if err != nil {
		return err
	}
	defer restore()
	if ok, errs := s.validator.ValidateHttpRequestSync(req); !ok {
		return joinValidation(fmt.Sprintf("request %s %s", req.Method, req.URL.RequestURI()), errs)
	}
	return nil
}

// ValidateResponse checks the response to req against the document: that
// the operation documents its status, and that its headers and body are
// what the document says for that status. Bodies are read and put back.
func (s *Spec) ValidateResponse(req *http.Request, resp *http.Response) error {
	restoreReq, err := rewind(&req.Body)
	if err != nil {
		return err
	}
	defer restoreReq()
	restoreResp, err := rewind(&resp.Body)
	if err != nil {
		return err
	}
	defer restoreResp()
	if ok, errs := s.validator.ValidateHttpResponse(req, resp); !ok {
		return joinValidation(fmt.Sprintf("response %d to %s %s", resp.StatusCode, req.Method, req.URL.RequestURI()), errs)
	}
	return nil
}

// rewind reads a body into memory and puts a fresh reader of it in its
// place; the function it returns does so again, for the next reader.
func rewind(body *io.ReadCloser) (func(), error) {
	if *body == nil || *body == http.NoBody {
		return func() {}, nil
	}
	data, err := io.ReadAll(*body)
	if err != nil {
		return nil, fmt.Errorf("apispec: read body: %w", err)
	}
	(*body).Close()
	reset := func() { *body = io.NopCloser(bytes.NewReader(data)) }
	reset()
	return reset, nil
}

// joinValidation turns the validator's findings into one error that says
// what failed and where.
func joinValidation(what string, errs []*verrors.ValidationError) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s does not match %s:", what, Path)
	for _, e := range errs {
		fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      %s", f.Error())
		}
	}
	return errors.New(b.String())
}
