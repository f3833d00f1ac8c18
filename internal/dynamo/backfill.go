package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// The backfill is the upgrade path of a table written by an earlier
// version of the service (cmd/backfill, README "Upgrading an existing
// deployment"). The first version wrote user items with no id, no status,
// no phoneDisplay, none of the user list's index keys (StatusPK, NamePK,
// NameSK, NewestPK, NewestSK) and no index items (XTAB#, XFULL#, XLAST#),
// and it kept no user count (COUNT# shards). Today's code assumes all of
// them:
//
//   - a user without an id can never be changed or removed: every write
//     is conditioned on `id = :id`, which a missing attribute fails;
//   - the lists of a status, a tab, a search and the name and newest sorts
//     read the indexes, so such a user is missing from them;
//   - the business's total and invited count are the sums of the shards,
//     which never counted such a user.
//
// The backfill brings each user to the current shape in a transaction of
// its own, conditioned on the user's version and id as read, so it is safe
// while the API is live: a concurrent change wins, and the backfill reads
// the user again and retries. Running it twice changes nothing the second
// time, and a run that stops part-way is resumed by running it again.
//
// Counting. A user without an id was written by a version that kept no
// count (ids came before the count, with issue 10), and today's code
// cannot write an id-less user, so none can have been counted since; the
// transaction that gives the user an id also adds them to one random
// counter shard. The condition attribute_not_exists(id) makes that happen
// exactly once, whatever runs concurrently: the count is fixed per user,
// in the user's own transaction, and races no invite or removal. After the
// users, the backfill compares the shards with a recount of what it read;
// a difference left by some other history (users given ids by a version
// that did not count them yet, if one was ever deployed) is corrected only
// under the guards of fixCounts.

// BackfillIAMActions are the IAM actions the backfill needs on the table
// (not on its indexes, which it never reads): its requests, and the actions
// DynamoDB checks for the items of its transactions (IAM has no action of
// TransactWriteItems' own). Scan is needed only by BackfillAll, and a dry
// run needs only the reads (GetItem, Query, Scan). TestBackfillIAMActions
// records what a run calls and holds this list to it; the README's
// "Upgrading an existing deployment" repeats it.
var BackfillIAMActions = []string{
	"dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
	"dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
}

// BackfillClient is the part of the DynamoDB API the backfill uses. Scan
// is used only to find every business (BackfillAll).
type BackfillClient interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ BackfillClient = (*dynamodb.Client)(nil)

// PhoneDisplayer formats a stored E.164 phone for people; the backfill
// fills phoneDisplay, which users stored before it existed lack.
// internal/phone implements it (team.PhoneNormalizer's DisplayPhone).
type PhoneDisplayer interface {
	DisplayPhone(e164 string) string
}

// Backfill upgrades the items of earlier versions in one table.
type Backfill struct {
	client BackfillClient
	table  string
	ids    team.IDSource
	clock  team.Clock
	phones PhoneDisplayer
	// quietMargin is how far before a recount an activity record counts
	// as a write that may have overlapped it (fixCounts).
	quietMargin time.Duration
}

// NewBackfill returns the backfill of the table. ids makes the ids given
// to users who have none (as the Service makes them); phones may be nil,
// which leaves phoneDisplay as it is.
func NewBackfill(client BackfillClient, table string, ids team.IDSource, clock team.Clock, phones PhoneDisplayer) *Backfill {
	return &Backfill{client: client, table: table, ids: ids, clock: clock, phones: phones, quietMargin: defaultQuietMargin}
}

// defaultQuietMargin covers the time between the instant a writer takes
// an activity id and the commit of its transaction (the API's request
// deadline is 5 s, with its retries inside it) and the difference between
// the writers' clocks and the operator's.
const defaultQuietMargin = time.Minute

// BackfillOptions are a run's choices.
type BackfillOptions struct {
	// DryRun reads and reports what a run would write, and writes nothing.
	DryRun bool
	// Workers is how many users of a business are upgraded at once (each
	// in its own transaction); 0 is 1. Users are independent, so the
	// result is the same whatever the number; whether more are faster
	// depends on the database (cmd/backfill's defaultWorkers says what
	// was measured).
	Workers int
	// Progress, when set, is called with each business's report as soon
	// as the business is done.
	Progress func(BusinessBackfill)
	// After, for BackfillAll, skips the businesses whose ids sort at or
	// before it: a run that stopped resumes after the last business it
	// reported done, without reading those again.
	After team.BusinessID
}

// BusinessBackfill is what a run found and did in one business.
type BusinessBackfill struct {
	BusinessID team.BusinessID
	// Deleted is set when the business is a tombstone: nothing is done.
	Deleted bool
	// NoOwner is set when the profile names no owner (businesses created
	// before owners): the platform's next BusinessUpserted names one
	// (README, "Provision the first business"); the backfill cannot.
	NoOwner bool

	// Scanned users; of them Updated were written (would be, in a dry
	// run), Current needed nothing and Skipped lost to concurrent changes
	// more than backfillAttempts times or vanished meanwhile (run again).
	Scanned, Updated, Current, Skipped int
	// IDsGiven counts users given an id (and counted, see Counted);
	// IndexItems the index items put or deleted; Counted the users added
	// to the counter shards.
	IDsGiven, IndexItems, Counted int
	// SkippedIDs names the skipped users by id ("" for one without).
	SkippedIDs []string

	// Users and Invited are what the run read; CounterUsers and
	// CounterInvited the sums of the shards afterwards. They differ under
	// concurrent invites and removals; CountsFixed says the shards were
	// corrected by fixCounts, CountsBusy that a correction was needed but
	// the business was not quiet enough to make it (run again).
	Users, Invited               int64
	CounterUsers, CounterInvited int64
	CountsFixed, CountsBusy      bool
}

// Changed reports whether the run wrote (or would write) anything.
func (b BusinessBackfill) Changed() bool { return b.Updated > 0 || b.CountsFixed }

// Done reports whether nothing is left for another run.
func (b BusinessBackfill) Done() bool { return b.Skipped == 0 && !b.CountsBusy }

// backfillAttempts bounds how often one user's transaction is tried.
const backfillAttempts = conflictAttempts

// BackfillBusiness upgrades one business. Errors: team.ErrNotFound when
// there is no such business, team.ErrUnavailable or team.ErrRateLimited
// (wrapped) when DynamoDB does not answer or throttles past the SDK's
// retries, or another request error; what was written before an error
// stays written, and a new run resumes.
func (b *Backfill) BackfillBusiness(ctx context.Context, businessID team.BusinessID, o BackfillOptions) (BusinessBackfill, error) {
	r, err := b.business(ctx, businessID, o)
	if err != nil {
		return r, fmt.Errorf("dynamo: backfill %s: %w", businessID, err)
	}
	if o.Progress != nil {
		o.Progress(r)
	}
	return r, nil
}

// BackfillAll upgrades every business of the table (after o.After, if
// set), in order of id, found with a Scan of the profiles (which reads the
// whole table once). It stops at the first error, returning the reports
// of the businesses done; the errors are BackfillBusiness's.
func (b *Backfill) BackfillAll(ctx context.Context, o BackfillOptions) ([]BusinessBackfill, error) {
	ids, err := b.businesses(ctx)
	if err != nil {
		return nil, fmt.Errorf("dynamo: backfill: %w", err)
	}
	var out []BusinessBackfill
	for _, id := range ids {
		if o.After != "" && id <= o.After {
			continue
		}
		r, err := b.BackfillBusiness(ctx, id, o)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// businesses returns the id of every business with a profile, in order.
func (b *Backfill) businesses(ctx context.Context) ([]team.BusinessID, error) {
	var (
		ids   []team.BusinessID
		start map[string]types.AttributeValue
	)
	for {
		out, err := b.client.Scan(ctx, &dynamodb.ScanInput{
			TableName: &b.table, FilterExpression: aws.String("#sk = :profile"),
			ProjectionExpression:      aws.String("#id"),
			ExpressionAttributeNames:  map[string]string{"#sk": AttrSK, "#id": attrID},
			ExpressionAttributeValues: map[string]types.AttributeValue{":profile": str(profileSK)},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, requestError(err)
		}
		for _, item := range out.Items {
			d := itemDecoder{item: item}
			if id := d.str(attrID); id != "" {
				ids = append(ids, team.BusinessID(id))
			}
		}
		if start = out.LastEvaluatedKey; len(start) == 0 {
			break
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (b *Backfill) business(ctx context.Context, businessID team.BusinessID, o BackfillOptions) (BusinessBackfill, error) {
	rep := BusinessBackfill{BusinessID: businessID}
	item, err := b.get(ctx, key(businessPK(businessID), profileSK))
	if err != nil {
		return rep, fmt.Errorf("profile: %w", err)
	}
	if item == nil {
		return rep, team.ErrNotFound
	}
	var profile profileRecord
	if err := attributevalue.UnmarshalMap(item, &profile); err != nil {
		return rep, fmt.Errorf("decode profile: %w", err)
	}
	if profile.Deleted {
		rep.Deleted = true
		return rep, nil
	}
	rep.NoOwner = profile.OwnerID == ""

	existing, err := b.indexItems(ctx, businessID)
	if err != nil {
		return rep, err
	}
	if err := b.upgradeAll(ctx, businessID, existing, o, &rep); err != nil {
		return rep, err
	}
	if err := b.checkCounts(ctx, businessID, o.DryRun, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// upgradeAll reads the business's users in pages and hands them to
// o.Workers workers, each upgrading one user at a time; the first error
// stops the reading and the workers.
func (b *Backfill) upgradeAll(ctx context.Context, businessID team.BusinessID, existing map[string]userIndexRecord, o BackfillOptions, rep *BusinessBackfill) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		users    = make(chan userRecord)
	)
	for range max(o.Workers, 1) {
		wg.Go(func() {
			for r := range users {
				var one BusinessBackfill
				u, err := b.upgrade(ctx, r, existing, o.DryRun, &one)
				mu.Lock()
				rep.add(one, u)
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	err := b.queryAll(ctx, businessID, userRange(), func(item map[string]types.AttributeValue) error {
		r, err := decodeUser(item)
		if err != nil {
			return fmt.Errorf("decode user: %w", err)
		}
		mu.Lock()
		rep.Scanned++
		mu.Unlock()
		select {
		case users <- r:
			return nil
		case <-ctx.Done():
			return requestError(ctx.Err())
		}
	})
	close(users)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return err
}

// add counts one user's upgrade (one) into the business's report; u is
// the user as stored at the end, nil when skipped or gone.
func (r *BusinessBackfill) add(one BusinessBackfill, u *team.User) {
	r.Updated += one.Updated
	r.Current += one.Current
	r.Skipped += one.Skipped
	r.SkippedIDs = append(r.SkippedIDs, one.SkippedIDs...)
	r.IDsGiven += one.IDsGiven
	r.IndexItems += one.IndexItems
	r.Counted += one.Counted
	if u != nil {
		r.Users++
		r.Invited += invitedCount(u)
	}
}

// indexItems reads every index item of the business's user list, by sort
// key.
func (b *Backfill) indexItems(ctx context.Context, businessID team.BusinessID) (map[string]userIndexRecord, error) {
	out := map[string]userIndexRecord{}
	err := b.queryAll(ctx, businessID, userIndexItemsRange(), func(item map[string]types.AttributeValue) error {
		var r userIndexRecord
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return fmt.Errorf("decode index item: %w", err)
		}
		out[r.SK] = r
		return nil
	})
	return out, err
}

// queryAll reads, consistently, every item of the business whose sort key
// starts with prefix, in order.
func (b *Backfill) queryAll(ctx context.Context, businessID team.BusinessID, prefix string, each func(map[string]types.AttributeValue) error) error {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(AttrPK).Equal(expression.Value(businessPK(businessID))).
			And(expression.Key(AttrSK).BeginsWith(prefix))).Build()
	if err != nil {
		return fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName: &b.table, KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ConsistentRead: aws.Bool(true),
	}
	for {
		out, err := b.client.Query(ctx, in)
		if err != nil {
			return requestError(err)
		}
		for _, item := range out.Items {
			if err := each(item); err != nil {
				return err
			}
		}
		if in.ExclusiveStartKey = out.LastEvaluatedKey; len(in.ExclusiveStartKey) == 0 {
			return nil
		}
	}
}

// get reads one item consistently; nil when it does not exist.
func (b *Backfill) get(ctx context.Context, k map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	out, err := b.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &b.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, requestError(err)
	}
	return out.Item, nil
}

// userUpgrade is what brings one stored user to the current shape.
type userUpgrade struct {
	user      team.User
	writeUser bool // the user item itself changes
	idGiven   bool // the user had no id: given one, and counted
	puts      []userIndexRecord
	deletes   []string // sort keys of the user's index items that no longer apply
}

func (w userUpgrade) empty() bool { return !w.writeUser && len(w.puts) == 0 && len(w.deletes) == 0 }

// plan returns what brings the stored user r to the current shape, given
// the business's index items as read. What the API shows of a user (its
// id, its phoneDisplay) changing raises the version, as every change does;
// the storage-only attributes (status spelled out for a user without one,
// who counts as active already, and the index keys) do not, so an ETag a
// client holds stays good through the backfill.
func (b *Backfill) plan(r userRecord, existing map[string]userIndexRecord) userUpgrade {
	u := r.user()
	visible := false
	w := userUpgrade{}
	if u.ID == "" {
		u.ID = team.UserIDPrefix + b.ids.NewID(b.clock.Now())
		w.idGiven, visible = true, true
	}
	if u.Status == "" {
		u.Status = u.EffectiveStatus()
	}
	if b.phones != nil && u.Phone != "" && u.PhoneDisplay == "" {
		if d := b.phones.DisplayPhone(u.Phone); d != "" {
			u.PhoneDisplay, visible = d, true
		}
	}
	if visible {
		u.Version++
	}
	want := toUserRecord(u)
	w.writeUser = visible || r.Status != want.Status || r.StatusPK != want.StatusPK ||
		r.NamePK != want.NamePK || r.NameSK != want.NameSK || r.NewestPK != want.NewestPK || r.NewestSK != want.NewestSK
	wanted := userIndexRecords(u)
	for _, sk := range slices.Sorted(maps.Keys(wanted)) {
		if have, ok := existing[sk]; !ok || have != wanted[sk] {
			w.puts = append(w.puts, wanted[sk])
		}
	}
	for _, sk := range slices.Sorted(maps.Keys(existing)) {
		if _, ok := wanted[sk]; !ok && existing[sk].Email == u.Email {
			w.deletes = append(w.deletes, sk)
		}
	}
	w.user = u
	return w
}

// upgrade brings one user to the current shape, retrying with a fresh read
// when a concurrent change wins. It returns the user as stored at the end
// (nil when the user vanished meanwhile or was skipped).
func (b *Backfill) upgrade(ctx context.Context, r userRecord, existing map[string]userIndexRecord, dryRun bool, rep *BusinessBackfill) (*team.User, error) {
	for attempt := 1; ; attempt++ {
		w := b.plan(r, existing)
		if w.empty() {
			rep.Current++
			return &w.user, nil
		}
		if dryRun {
			b.tally(w, rep)
			return &w.user, nil
		}
		in, err := b.upgradeInput(r, w)
		if err != nil {
			return nil, err
		}
		_, err = b.client.TransactWriteItems(ctx, in)
		if err == nil {
			b.tally(w, rep)
			return &w.user, nil
		}
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) {
			return nil, fmt.Errorf("upgrade user: %w", requestError(err))
		}
		reasons := canceled.CancellationReasons
		changed := len(reasons) > 0 && aws.ToString(reasons[0].Code) == reasonConditionalFailed
		if !changed {
			if _, retry := otherCancellation(reasons, err); !retry {
				return nil, fmt.Errorf("upgrade user: %w", err)
			}
		}
		if attempt == backfillAttempts {
			rep.Skipped++
			rep.SkippedIDs = append(rep.SkippedIDs, r.ID)
			return nil, nil
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, err
		}
		if changed {
			// A concurrent change won: plan again from the user as it is.
			item, err := b.get(ctx, key(r.PK, r.SK))
			if err != nil {
				return nil, fmt.Errorf("read user again: %w", err)
			}
			if item == nil {
				return nil, nil // removed meanwhile: nothing to upgrade or count
			}
			if r, err = decodeUser(item); err != nil {
				return nil, fmt.Errorf("decode user: %w", err)
			}
		}
	}
}

func (b *Backfill) tally(w userUpgrade, rep *BusinessBackfill) {
	rep.Updated++
	rep.IndexItems += len(w.puts) + len(w.deletes)
	if w.idGiven {
		rep.IDsGiven++
		rep.Counted++
	}
}

// upgradeInput is the user's one transaction: the user item (updated, or
// checked when only its index items are missing) conditioned on the
// version and id read, first, so that its failure is reason 0; the index
// items; and, for a user given an id, one more user on a random counter
// shard (and one more invited user, for an invited one).
func (b *Backfill) upgradeInput(r userRecord, w userUpgrade) (*dynamodb.TransactWriteItemsInput, error) {
	version := expression.Name(attrVersion).Equal(expression.Value(r.Version))
	if r.Version == 0 {
		version = expression.AttributeNotExists(expression.Name(attrVersion))
	}
	id := expression.AttributeNotExists(expression.Name(attrID))
	if r.ID != "" {
		id = expression.Name(attrID).Equal(expression.Value(r.ID))
	}
	expr, err := expression.NewBuilder().WithCondition(version.And(id)).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	var items []types.TransactWriteItem
	if w.writeUser {
		// SET only what the upgrade adds, rather than a Put of the whole
		// record: whatever else the item holds stays as written.
		want := toUserRecord(w.user)
		set := expression.Set(expression.Name(attrID), expression.Value(want.ID)).
			Set(expression.Name(attrStatus), expression.Value(want.Status)).
			Set(expression.Name(attrVersion), expression.Value(want.Version)).
			Set(expression.Name(AttrStatusPK), expression.Value(want.StatusPK)).
			Set(expression.Name(AttrNamePK), expression.Value(want.NamePK)).
			Set(expression.Name(AttrNameSK), expression.Value(want.NameSK)).
			Set(expression.Name(AttrNewestPK), expression.Value(want.NewestPK)).
			Set(expression.Name(AttrNewestSK), expression.Value(want.NewestSK))
		if want.PhoneDisplay != "" {
			set = set.Set(expression.Name(attrPhoneDisplay), expression.Value(want.PhoneDisplay))
		}
		expr, err := expression.NewBuilder().WithCondition(version.And(id)).WithUpdate(set).Build()
		if err != nil {
			return nil, fmt.Errorf("build update: %w", err)
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &b.table, Key: key(r.PK, r.SK), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		}})
	} else {
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &b.table, Key: key(r.PK, r.SK),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		}})
	}
	for _, rec := range w.puts {
		item, err := attributevalue.MarshalMap(rec)
		if err != nil {
			return nil, fmt.Errorf("encode index item: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &b.table, Item: item}})
	}
	for _, sk := range w.deletes {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &b.table, Key: key(r.PK, sk)}})
	}
	if w.idGiven {
		items = append(items, counterUpdate(b.table, r.PK, rand.N(counterShards), 1, invitedCount(&w.user)))
	}
	return &dynamodb.TransactWriteItemsInput{TransactItems: items}, nil
}

// shardState is one counter shard as read: its sort key, its values and
// whether it exists.
type shardState struct {
	sk             string
	users, invited int64
	exists         bool
	hasInvited     bool
}

// readShards reads the business's counter shards consistently, all of
// them (absent ones marked so).
func (b *Backfill) readShards(ctx context.Context, businessID team.BusinessID) ([]shardState, error) {
	in, err := businessQuery(b.table, businessID)
	if err != nil {
		return nil, err
	}
	out, err := b.client.Query(ctx, in)
	if err != nil {
		return nil, requestError(err)
	}
	shards := make([]shardState, counterShards)
	for i := range shards {
		shards[i].sk = counterSK(i)
	}
	for _, item := range out.Items {
		d := itemDecoder{item: item}
		sk := d.str(AttrSK)
		for i := range shards {
			if shards[i].sk == sk {
				_, hasInvited := item[attrInvited]
				shards[i] = shardState{sk: sk, users: d.int(attrUsers), invited: d.int(attrInvited), exists: true, hasInvited: hasInvited}
			}
		}
		if err := d.failed(); err != nil {
			return nil, fmt.Errorf("decode counter: %w", err)
		}
	}
	return shards, nil
}

func sums(shards []shardState) (users, invited int64) {
	for _, s := range shards {
		users += s.users
		invited += s.invited
	}
	return users, invited
}

// checkCounts compares the shards with the users the run read, and when
// they differ (and this is no dry run) corrects them with fixCounts.
func (b *Backfill) checkCounts(ctx context.Context, businessID team.BusinessID, dryRun bool, rep *BusinessBackfill) error {
	shards, err := b.readShards(ctx, businessID)
	if err != nil {
		return fmt.Errorf("read counters: %w", err)
	}
	rep.CounterUsers, rep.CounterInvited = sums(shards)
	if dryRun || (rep.CounterUsers == rep.Users && rep.CounterInvited == rep.Invited) {
		return nil
	}
	return b.fixCounts(ctx, businessID, rep)
}

// fixCounts recounts the business's users and writes the difference from
// the shards' sums onto shard 0, in one transaction conditioned on every
// shard still holding what was read. Why that does not race live writes:
//
//   - Every write of the API that changes the number of users or of
//     invited users changes the shards in the same transaction, by the
//     same amount. So the difference between the true counts and the
//     shards' sums is the same before and after any such write: it only
//     needs measuring once, at a moment nothing changes.
//   - The recount is such a moment when no user was added, removed,
//     re-addressed or activated while it read. Each of those writes
//     records an activity in its own transaction, with an id from the
//     writer's clock at most a request's deadline before its commit, so
//     no activity record at or after the recount's start (less
//     quietMargin) proves it. Otherwise the business is busy: nothing is
//     written and the run says to try again.
//   - The condition on the shards makes a second backfill running at the
//     same time, which would add the same difference again, fail instead;
//     so does any count-changing write after the recount, to be safe.
func (b *Backfill) fixCounts(ctx context.Context, businessID team.BusinessID, rep *BusinessBackfill) error {
	start := b.clock.Now()
	shards, err := b.readShards(ctx, businessID)
	if err != nil {
		return fmt.Errorf("read counters: %w", err)
	}
	var users, invited int64
	err = b.queryAll(ctx, businessID, userRange(), func(item map[string]types.AttributeValue) error {
		r, err := decodeUser(item)
		if err != nil {
			return fmt.Errorf("decode user: %w", err)
		}
		users++
		u := r.user()
		invited += invitedCount(&u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("recount: %w", err)
	}
	quiet, err := b.quietSince(ctx, businessID, start.Add(-b.quietMargin))
	if err != nil {
		return fmt.Errorf("recount: %w", err)
	}
	if !quiet {
		rep.CountsBusy = true
		return nil
	}
	haveUsers, haveInvited := sums(shards)
	in, err := b.countFix(businessID, shards, users-haveUsers, invited-haveInvited)
	if err != nil {
		return err
	}
	if in != nil {
		if _, err := b.client.TransactWriteItems(ctx, in); err != nil {
			var canceled *types.TransactionCanceledException
			if errors.As(err, &canceled) {
				rep.CountsBusy = true
				return nil
			}
			return fmt.Errorf("fix counters: %w", requestError(err))
		}
		rep.CountsFixed = true
	}
	rep.Users, rep.Invited, rep.CounterUsers, rep.CounterInvited = users, invited, users, invited
	return nil
}

// quietSince reports whether the business has no activity record with an
// id at or after since.
func (b *Backfill) quietSince(ctx context.Context, businessID team.BusinessID, since time.Time) (bool, error) {
	lo, hi, ok := activitySKRange(since, time.Time{})
	if !ok {
		return true, nil
	}
	out, err := b.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                &b.table,
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrPK, "#sk": AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(businessPK(businessID)), ":lo": str(lo), ":hi": str(hi)},
		ProjectionExpression: aws.String("#sk"), ConsistentRead: aws.Bool(true), Limit: aws.Int32(1),
	})
	if err != nil {
		return false, requestError(err)
	}
	return len(out.Items) == 0, nil
}

// countFix is the transaction that adds users and invited to shard 0, with
// every shard conditioned on its values as read; nil when there is nothing
// to add. Shard 0 carries its own condition (a transaction cannot check and
// update one item in two parts).
func (b *Backfill) countFix(businessID team.BusinessID, shards []shardState, users, invited int64) (*dynamodb.TransactWriteItemsInput, error) {
	if users == 0 && invited == 0 {
		return nil, nil
	}
	pk := businessPK(businessID)
	var items []types.TransactWriteItem
	for i, s := range shards {
		cond := expression.AttributeNotExists(expression.Name(AttrPK))
		if s.exists {
			inv := expression.AttributeNotExists(expression.Name(attrInvited))
			if s.hasInvited {
				inv = expression.Name(attrInvited).Equal(expression.Value(s.invited))
			}
			cond = expression.Name(attrUsers).Equal(expression.Value(s.users)).And(inv)
		}
		expr, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return nil, fmt.Errorf("build condition: %w", err)
		}
		if i > 0 {
			items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: &b.table, Key: key(pk, s.sk),
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			}})
			continue
		}
		update := counterUpdate(b.table, pk, i, users, invited).Update
		names, values := maps.Clone(update.ExpressionAttributeNames), maps.Clone(update.ExpressionAttributeValues)
		maps.Copy(names, expr.Names())
		maps.Copy(values, expr.Values())
		update.ConditionExpression, update.ExpressionAttributeNames, update.ExpressionAttributeValues = expr.Condition(), names, values
		items = append(items, types.TransactWriteItem{Update: update})
	}
	return &dynamodb.TransactWriteItemsInput{TransactItems: items}, nil
}
