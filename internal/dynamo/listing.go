package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// The user list (SPEC §4 "Listing"). Every shape of it reads one index
// partition, or a few in turn, in its order, never the whole team:
//
//	query                      reads                                                     consistent
//	(none), sort=email         the table's USER# items                                   yes
//	(none), sort=name|newest   ByName|ByNewest: the invited and the active partitions,   no
//	                           merged (two sorted partitions, one Query each)
//	status, any sort           ByStatus|ByName|ByNewest: the status's partition          no
//	tab, sort=email            the table's XTAB#<tab># items, then the users             yes
//	tab, sort=name|newest      ByName|ByNewest: the tab's partition, then the users      no
//	q (with anything)          in turn: USER#<q>, XFULL#<q>, XLAST#<q> of the table,      yes
//	                           then the users of the name terms
//
// Users read from an index (status, sort=name|newest without q or tab) are
// the index's copies, which in AWS lag the table by a moment: a user just
// changed may show as they were, one just removed may still show. Users
// named by index items are read back from the table consistently.
//
// Filters the partition read does not decide (status under tab or q, tab
// under q) are applied in Go to the users read, with team.UserQuery.Matches,
// and so is the rule that lists a user found by two terms once: under the
// term of their team.MatchRank only. Under q, sort does not change the
// order (team.UserQuery.Compare): the terms' keys are ordered by the terms.
//
// The work of one call is bounded: it reads at most maxListReads items
// (index items, users read back with BatchGetItem, and users), so that a
// request with the caller's read and the business's counters stays within
// 250 items however large the team. A page that reaches the bound with
// fewer users than asked ends early, with a cursor after the last item
// read, as SPEC §4 allows.

// maxListReads bounds the items one call of Users reads; the request also
// reads the caller (1 item) and the business (the profile and
// counterShards counters).
const maxListReads = 250 - 1 - 1 - counterShards

// userSource is one sorted run of a list: a partition (or, merged, several)
// of the table or of an index, in the order of its sort key.
type userSource struct {
	index  string   // "" for the table
	pkAttr string   // the partition-key attribute
	pks    []string // the partitions; more than one are merged by sort key
	skAttr string   // the sort-key attribute
	// prefix, for table sources, bounds the sort keys read (begins_with).
	prefix    string
	ascending bool
	// indexItems says the source holds index items naming users by email,
	// who are read back from the table; otherwise it holds users.
	indexItems bool
	// rank is, under q, the team.MatchRank the source lists users under;
	// -1 otherwise.
	rank int
}

// userSources plans a query: the sources whose concatenation, filtered by
// the query, is the list in its order.
func userSources(businessID team.BusinessID, q team.UserQuery) []userSource {
	pk := businessPK(businessID)
	table := func(prefix string, indexItems bool, rank int) userSource {
		return userSource{pkAttr: AttrPK, pks: []string{pk}, skAttr: AttrSK, prefix: prefix, ascending: true, indexItems: indexItems, rank: rank}
	}
	sorted := func(pks ...string) userSource {
		s := userSource{pkAttr: AttrNamePK, pks: pks, skAttr: AttrNameSK, index: IndexByName, ascending: true, rank: -1}
		if q.SortOrDefault() == team.SortNewest {
			s = userSource{pkAttr: AttrNewestPK, pks: pks, skAttr: AttrNewestSK, index: IndexByNewest, rank: -1}
		}
		return s
	}
	switch {
	case q.Q != "":
		return []userSource{
			table(emailSearchRange(q.Q), false, team.MatchEmail),
			table(fullTermSearchRange(q.Q), true, team.MatchFullName),
			table(lastTermSearchRange(q.Q), true, team.MatchLastName),
		}
	case q.Tab != "" && q.SortOrDefault() == team.SortEmail:
		return []userSource{table(tabRange(q.Tab), true, -1)}
	case q.Tab != "":
		s := sorted(tabPK(businessID, q.Tab))
		s.indexItems = true
		return []userSource{s}
	case q.Status != "" && q.SortOrDefault() == team.SortEmail:
		return []userSource{{index: IndexByStatus, pkAttr: AttrStatusPK, pks: []string{statusPK(businessID, q.Status)},
			skAttr: AttrSK, ascending: true, rank: -1}}
	case q.Status != "":
		return []userSource{sorted(statusPK(businessID, q.Status))}
	case q.SortOrDefault() == team.SortEmail:
		return []userSource{table(userPrefix, false, -1)}
	}
	return []userSource{sorted(statusPK(businessID, team.StatusInvited), statusPK(businessID, team.StatusActive))}
}

// userCursor is where a page of a list ends: the source and the sort key
// (of that source's sort-key attribute) of the last item served or read,
// with the business and the query it was issued for.
type userCursor struct {
	Business string `json:"b"`
	Query    string `json:"q"`
	Source   int    `json:"s"`
	After    string `json:"k"`
}

// maxUserCursorLength bounds a cursor: its sort key can be a name key of
// up to 1024 bytes, in base64.
const maxUserCursorLength = 4096

func encodeUserCursor(businessID team.BusinessID, q team.UserQuery, source int, after string) string {
	b, _ := json.Marshal(userCursor{Business: businessID.String(), Query: q.Key(), Source: source, After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeUserCursor returns where to start: the source and the sort key to
// start after ("" at the start of the source). Errors: team.ErrInvalidCursor.
func decodeUserCursor(s string, businessID team.BusinessID, q team.UserQuery, sources []userSource) (int, string, error) {
	if s == "" {
		return 0, "", nil
	}
	invalid := func(why string) (int, string, error) {
		return 0, "", fmt.Errorf("dynamo: user cursor %s: %w", why, team.ErrInvalidCursor)
	}
	if len(s) > maxUserCursorLength {
		return invalid("too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return invalid("encoding")
	}
	var c userCursor
	if err := json.Unmarshal(raw, &c); err != nil || c.After == "" {
		return invalid("content")
	}
	if c.Business != businessID.String() || c.Query != q.Key() || c.Source < 0 || c.Source >= len(sources) {
		return invalid("issued for another list")
	}
	// A table source continues from the key itself, which must be one of
	// its own: any other would start the Query outside its range.
	if src := sources[c.Source]; src.prefix != "" && (len(c.After) <= len(src.prefix) || c.After[:len(src.prefix)] != src.prefix) {
		return invalid("outside its list")
	}
	return c.Source, c.After, nil
}

// listed is a user kept for a page, with where it was read.
type listed struct {
	user   team.User
	source int
	key    string
}

// Users implements team.Store; see the top of this file.
func (s *Store) Users(ctx context.Context, businessID team.BusinessID, query team.UserQuery, page team.PageRequest) (team.UserPage, error) {
	sources := userSources(businessID, query)
	start, after, err := decodeUserCursor(page.Cursor, businessID, query, sources)
	if err != nil {
		return team.UserPage{}, err
	}
	want := page.Limit + 1 // one more than the page: the last page carries no cursor
	filtered := query.Q != "" || (query.Tab != "" && query.Status != "")
	var (
		kept     []listed
		read     int
		lastRead = listed{source: start, key: after}
		ended    bool // every source was read to its end
	)
	for src := start; len(kept) < want; {
		source := sources[src]
		cost := 1
		if source.indexItems {
			cost = 2 // the index item and the user read back
		}
		// Ask for what the page still needs; when the list is filtered in
		// Go, twice as much each round, within the bound.
		n := want - len(kept)
		if filtered {
			n = max(n, 2*read)
		}
		n = min(n, (maxListReads-read)/cost)
		if n <= 0 {
			break
		}
		items, scanned, more, err := s.readSource(ctx, source, after, n)
		if err != nil {
			return team.UserPage{}, fmt.Errorf("dynamo: users: %w", err)
		}
		users, err := s.usersOf(ctx, businessID, source, items)
		if err != nil {
			return team.UserPage{}, fmt.Errorf("dynamo: users: %w", err)
		}
		read += scanned
		if source.indexItems {
			read += len(items)
		}
		for i, item := range items {
			k := stringAttribute(item, source.skAttr)
			lastRead, after = listed{source: src, key: k}, k
			u, ok := users[i]
			if ok && len(kept) < want && query.Matches(u) && (source.rank < 0 || team.MatchRank(u, query.Q) == source.rank) {
				kept = append(kept, listed{user: u, source: src, key: k})
			}
		}
		if !more {
			if src++; src == len(sources) {
				ended = true
				break
			}
			after = ""
		}
	}
	out := team.UserPage{Users: make([]team.User, 0, min(len(kept), page.Limit))}
	for _, l := range kept[:min(len(kept), page.Limit)] {
		out.Users = append(out.Users, l.user)
	}
	switch {
	case len(kept) > page.Limit:
		last := kept[page.Limit-1]
		out.NextCursor = encodeUserCursor(businessID, query, last.source, last.key)
	case !ended:
		// The bound ended the page: the next one starts after the last
		// item read, kept or not.
		out.NextCursor = encodeUserCursor(businessID, query, lastRead.source, lastRead.key)
	}
	return out, nil
}

// readSource reads up to n items of the source after the sort key after
// ("" from its start), in its order, says how many items DynamoDB read for
// them, and whether the source may hold more. A source of several
// partitions reads n from each and keeps the first n of their merge, so
// its next read starts after the last one kept (the others were read, and
// count, all the same).
func (s *Store) readSource(ctx context.Context, src userSource, after string, n int) ([]map[string]types.AttributeValue, int, bool, error) {
	var all []map[string]types.AttributeValue
	more, scanned := false, 0
	for _, pk := range src.pks {
		cond := expression.Key(src.pkAttr).Equal(expression.Value(pk))
		var startKey map[string]types.AttributeValue
		switch {
		case src.prefix != "":
			// The table: the prefix bounds the source, and a page after
			// the first continues from the key (one of the source's:
			// decodeUserCursor made sure). A search's or a tab's prefix is
			// asked as a range, [prefix, prefix + U+10FFFF]: every key that
			// starts with the prefix is in it (no email or name holds that
			// noncharacter). With begins_with, BenchmarkScale saw these
			// shapes take 0.25 to 1.9 s among 100,000 users on DynamoDB
			// Local (tens of ms among 1,000) while the index shapes did
			// not; docs/PERFORMANCE.md has what the range changed. The
			// plain list keeps begins_with, which its floor shares.
			if src.rank < 0 && src.prefix == userPrefix {
				cond = cond.And(expression.Key(src.skAttr).BeginsWith(src.prefix))
			} else {
				cond = cond.And(expression.Key(src.skAttr).Between(expression.Value(src.prefix), expression.Value(src.prefix+"\U0010FFFF")))
			}
			if after != "" {
				startKey = key(pk, after)
			}
		case after != "" && src.ascending:
			// An index partition: its sort keys are unique (they end with
			// the email), so "after" is a plain bound, valid in every
			// partition of a merge, and needs no start key naming an item.
			cond = cond.And(expression.Key(src.skAttr).GreaterThan(expression.Value(after)))
		case after != "":
			cond = cond.And(expression.Key(src.skAttr).LessThan(expression.Value(after)))
		}
		expr, err := expression.NewBuilder().WithKeyCondition(cond).Build()
		if err != nil {
			return nil, 0, false, fmt.Errorf("build query: %w", err)
		}
		in := &dynamodb.QueryInput{
			TableName:                 &s.table,
			KeyConditionExpression:    expr.KeyCondition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ExclusiveStartKey:         startKey,
			ScanIndexForward:          aws.Bool(src.ascending),
			Limit:                     aws.Int32(int32(n)),
		}
		if src.index == "" {
			in.ConsistentRead = aws.Bool(true)
		} else {
			in.IndexName = aws.String(src.index)
		}
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, 0, false, requestError(err)
		}
		all = append(all, out.Items...)
		scanned += int(out.ScannedCount)
		more = more || out.LastEvaluatedKey != nil
	}
	if len(src.pks) > 1 {
		slices.SortFunc(all, func(a, b map[string]types.AttributeValue) int {
			c := strings.Compare(stringAttribute(a, src.skAttr), stringAttribute(b, src.skAttr))
			if !src.ascending {
				c = -c
			}
			return c
		})
		if len(all) > n {
			all, more = all[:n], true
		}
	}
	return all, scanned, more, nil
}

// usersOf returns the users of the items read from the source, by the
// items' positions: the items themselves, or, for index items, the users
// they name read back consistently with BatchGetItem. A user gone since the
// index item was read (an index lags its table) is left out.
func (s *Store) usersOf(ctx context.Context, businessID team.BusinessID, src userSource, items []map[string]types.AttributeValue) (map[int]team.User, error) {
	out := make(map[int]team.User, len(items))
	if !src.indexItems {
		for i, item := range items {
			r, err := decodeUser(item)
			if err != nil {
				return nil, fmt.Errorf("decode user: %w", err)
			}
			out[i] = r.user()
		}
		return out, nil
	}
	byEmail := map[string]team.User{}
	for start := 0; start < len(items); start += maxBatchGet {
		batch := items[start:min(len(items), start+maxBatchGet)]
		keys := make([]map[string]types.AttributeValue, 0, len(batch))
		seen := map[string]bool{}
		for _, item := range batch {
			email := stringAttribute(item, attrEmail)
			if email != "" && !seen[email] {
				seen[email] = true
				keys = append(keys, key(businessPK(businessID), userSK(email)))
			}
		}
		for len(keys) > 0 {
			res, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				s.table: {Keys: keys, ConsistentRead: aws.Bool(true)},
			}})
			if err != nil {
				return nil, requestError(err)
			}
			for _, item := range res.Responses[s.table] {
				r, err := decodeUser(item)
				if err != nil {
					return nil, fmt.Errorf("decode user: %w", err)
				}
				byEmail[r.Email] = r.user()
			}
			keys = res.UnprocessedKeys[s.table].Keys
			if len(keys) > 0 {
				if err := pause(ctx, 1); err != nil {
					return nil, err
				}
			}
		}
	}
	for i, item := range items {
		if u, ok := byEmail[stringAttribute(item, attrEmail)]; ok {
			out[i] = u
		}
	}
	return out, nil
}
