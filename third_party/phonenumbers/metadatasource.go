// Port of metadata/source/* + MetadataLoader from google/libphonenumber.
// Functions are kept in upstream source order to ease syncing.
// Last reconciled against: v9.0.32
package phonenumbers

import (
	"errors"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// metadataContainer bundles all of the metadata-derived lookup state used by
// the library. The package keeps a single active container (currentMetadata),
// built from the embedded metadata on first use (fork change, see FORK.md; upstream
// builds it during init). Bundling the state behind one
// swappable value is the seam that lets tests run against alternate metadata
// (e.g. upstream's synthetic PhoneNumberMetadataForTesting data) without
// changing the public, package-level API.
type metadataContainer struct {
	// The parsed metadata collection this container was built from; nil for
	// the embedded metadata, which is decoded region by region on first use
	// (fork change, see FORK.md).
	metadataCollection *PhoneMetadataCollection

	// A map from country code (as integer) to two letter region codes.
	countryCodeToRegion map[int][]string

	// A mapping from a region code to the PhoneMetadata for that region.
	regionToMetadataMap map[string]*lazyMetadata

	// A mapping from a country calling code for a non-geographical entity to
	// the PhoneMetadata for that country calling code. Examples of the country
	// calling codes include 800 (International Toll Free Service) and 808
	// (International Shared Cost Service).
	countryCodeToNonGeographicalMetadataMap map[int]*lazyMetadata

	// The set of regions that share country calling code 1.
	nanpaRegions map[string]struct{}

	// The set of regions the library supports.
	supportedRegions map[string]bool

	// All the calling codes we support.
	supportedCallingCodes map[int]bool

	// The set of calling codes that map to the non-geo entity region ("001").
	countryCodesForNonGeographicalRegion map[int]bool
}

// currentMetadata is the active metadata container. It is populated from the
// embedded metadata by initMetadata on first use, through metadata(). Tests may
// swap it via useMetadata to exercise the library against alternate metadata.
//
// Fork change (see FORK.md): upstream populates it during package
// initialization; read it only through metadata().
var currentMetadata *metadataContainer

// metadataOnce guards the one load of the embedded metadata.
var metadataOnce sync.Once

// metadata returns the active metadata container, loading the embedded
// metadata first if no caller has yet. It is safe for concurrent use: the
// first callers wait for the one load, later ones only read.
func metadata() *metadataContainer {
	metadataOnce.Do(initMetadata)
	return currentMetadata
}

func initMetadata() {
	// load our regions
	regionMap, err := loadIntArrayMap(regionData)
	if err != nil {
		panic(err)
	}

	// then our metadata, indexed by region but not yet decoded (fork
	// change, see FORK.md)
	currentMetadata, err = newLazyMetadataContainer(numberData, regionMap.Map)
	if err != nil {
		panic(err)
	}
}

// lazyMetadata is the metadata of one region (or one non-geographical
// calling code), decoded from its protobuf encoding on first use.
//
// Fork change (see FORK.md): upstream decodes the whole collection at once.
// A number's parse and validation read the metadata of a few regions (the
// default region, and the regions sharing the number's calling code: 25 for
// +1), so decoding only those saves most of the decoding.
type lazyMetadata struct {
	once sync.Once
	// raw is the region's PhoneMetadata message, as encoded in the
	// collection; nil once decoded, or when built from decoded metadata.
	raw  []byte
	meta *PhoneMetadata
}

// decodedMetadata wraps metadata that is already decoded.
func decodedMetadata(meta *PhoneMetadata) *lazyMetadata {
	l := &lazyMetadata{meta: meta}
	l.once.Do(func() {})
	return l
}

// get returns the region's metadata, decoding it on the first call. It is
// safe for concurrent use. It panics if the encoding does not decode, as
// upstream's init does for the embedded metadata.
func (l *lazyMetadata) get() *PhoneMetadata {
	l.once.Do(func() {
		meta := &PhoneMetadata{}
		if err := proto.Unmarshal(l.raw, meta); err != nil {
			panic(err)
		}
		l.meta, l.raw = meta, nil
	})
	return l.meta
}

// errMalformedMetadata reports embedded metadata that is not a
// PhoneMetadataCollection.
var errMalformedMetadata = errors.New("phonenumbers: malformed metadata collection")

// newLazyMetadataContainer builds a metadataContainer from the protobuf
// encoding of a PhoneMetadataCollection without decoding it: it reads each
// region's id and country code (fields 9 and 10 of PhoneMetadata) to index
// the region's encoded message, which lazyMetadata decodes on first use. As
// with a decoded collection, a later entry with the same key replaces an
// earlier one, and a repeated scalar field's last value counts.
func newLazyMetadataContainer(raw []byte, countryCodeToRegion map[int][]string) (*metadataContainer, error) {
	mc := newEmptyMetadataContainer(nil, countryCodeToRegion)
	found := 0
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return nil, errMalformedMetadata
		}
		raw = raw[n:]
		if num != 1 || typ != protowire.BytesType {
			// Not a metadata entry: skip it, as proto.Unmarshal keeps
			// unknown fields aside.
			n = protowire.ConsumeFieldValue(num, typ, raw)
			if n < 0 {
				return nil, errMalformedMetadata
			}
			raw = raw[n:]
			continue
		}
		msg, n := protowire.ConsumeBytes(raw)
		if n < 0 {
			return nil, errMalformedMetadata
		}
		raw = raw[n:]
		id, countryCode, err := scanMetadataKeys(msg)
		if err != nil {
			return nil, err
		}
		mc.addMetadata(id, countryCode, &lazyMetadata{raw: msg})
		found++
	}
	if found == 0 {
		return nil, ErrEmptyMetadata
	}
	mc.deriveRegionSets()
	return mc, nil
}

// scanMetadataKeys reads the id (field 9) and the country code (field 10)
// of an encoded PhoneMetadata message.
func scanMetadataKeys(msg []byte) (id string, countryCode int32, err error) {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return "", 0, errMalformedMetadata
		}
		msg = msg[n:]
		switch {
		case num == 9 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return "", 0, errMalformedMetadata
			}
			id, msg = string(v), msg[n:]
		case num == 10 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(msg)
			if n < 0 {
				return "", 0, errMalformedMetadata
			}
			countryCode, msg = int32(v), msg[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, msg)
			if n < 0 {
				return "", 0, errMalformedMetadata
			}
			msg = msg[n:]
		}
	}
	return id, countryCode, nil
}

// newMetadataContainer builds a fully populated metadataContainer from a parsed
// metadata collection and a country-code-to-region map. This is the same
// derivation the library has always performed at init, now factored out so it
// can run against any metadata source, not just the embedded one.
func newMetadataContainer(coll *PhoneMetadataCollection, countryCodeToRegion map[int][]string) (*metadataContainer, error) {
	metadataList := coll.GetMetadata()
	if len(metadataList) == 0 {
		return nil, ErrEmptyMetadata
	}

	mc := newEmptyMetadataContainer(coll, countryCodeToRegion)
	for _, meta := range metadataList {
		mc.addMetadata(meta.GetId(), meta.GetCountryCode(), decodedMetadata(meta))
	}
	mc.deriveRegionSets()
	return mc, nil
}

// newEmptyMetadataContainer returns a container with no region's metadata
// yet (fork change, see FORK.md: upstream's newMetadataContainer, split so
// that newLazyMetadataContainer shares it).
func newEmptyMetadataContainer(coll *PhoneMetadataCollection, countryCodeToRegion map[int][]string) *metadataContainer {
	return &metadataContainer{
		metadataCollection:                      coll,
		countryCodeToRegion:                     countryCodeToRegion,
		regionToMetadataMap:                     make(map[string]*lazyMetadata),
		countryCodeToNonGeographicalMetadataMap: make(map[int]*lazyMetadata),
		nanpaRegions:                            make(map[string]struct{}),
		supportedRegions:                        make(map[string]bool, 320),
		supportedCallingCodes:                   make(map[int]bool, 320),
		countryCodesForNonGeographicalRegion:    make(map[int]bool, 16),
	}
}

// addMetadata files one region's metadata under its id, or under its
// country code for a non-geographical entity.
func (mc *metadataContainer) addMetadata(region string, countryCode int32, meta *lazyMetadata) {
	if region == "001" {
		// it's a non geographical entity
		mc.countryCodeToNonGeographicalMetadataMap[int(countryCode)] = meta
	} else {
		mc.regionToMetadataMap[region] = meta
	}
}

// deriveRegionSets fills the sets derived from the country-code-to-region
// map.
func (mc *metadataContainer) deriveRegionSets() {
	countryCodeToRegion := mc.countryCodeToRegion
	for eKey, regionCodes := range countryCodeToRegion {
		// We can assume that if the county calling code maps to the
		// non-geo entity region code then that's the only region code
		// it maps to.
		if len(regionCodes) == 1 && REGION_CODE_FOR_NON_GEO_ENTITY == regionCodes[0] {
			// This is the subset of all country codes that map to the
			// non-geo entity region code.
			mc.countryCodesForNonGeographicalRegion[eKey] = true
		} else {
			// The supported regions set does not include the "001"
			// non-geo entity region code.
			for _, val := range regionCodes {
				mc.supportedRegions[val] = true
			}
		}

		mc.supportedCallingCodes[eKey] = true
	}
	// If the non-geo entity still got added to the set of supported regions it
	// must be because there are entries that list the non-geo entity alongside
	// normal regions (which is wrong). If we discover this, remove the non-geo
	// entity from the set of supported regions.
	delete(mc.supportedRegions, REGION_CODE_FOR_NON_GEO_ENTITY)

	for _, val := range countryCodeToRegion[NANPA_COUNTRY_CODE] {
		mc.nanpaRegions[val] = struct{}{}
	}
}

// useMetadata swaps the active metadata container, returning a function that
// restores the previously active container. It is intended for tests that need
// to run against alternate (e.g. synthetic) metadata; callers must invoke the
// returned restore function (typically via t.Cleanup) and must not run such
// tests in parallel, since the active container is process-global.
func useMetadata(mc *metadataContainer) (restore func()) {
	// Load the embedded metadata first, so that a later first use cannot
	// overwrite the swapped-in container (fork change, see FORK.md).
	metadataOnce.Do(initMetadata)
	prev := currentMetadata
	currentMetadata = mc
	return func() { currentMetadata = prev }
}

func readFromNanpaRegions(key string) (struct{}, bool) {
	v, ok := metadata().nanpaRegions[key]
	return v, ok
}

func readFromRegionToMetadataMap(key string) (*PhoneMetadata, bool) {
	v, ok := metadata().regionToMetadataMap[key]
	if !ok {
		return nil, false
	}
	return v.get(), true
}

func readFromCountryCodeToNonGeographicalMetadataMap(key int) (*PhoneMetadata, bool) {
	v, ok := metadata().countryCodeToNonGeographicalMetadataMap[key]
	if !ok {
		return nil, false
	}
	return v.get(), true
}

var (
	currMetadataColl *PhoneMetadataCollection
	currMetadataErr  error
	// metadataCollOnce replaces upstream's unguarded reloadMetadata flag:
	// upstream parses the collection during package initialization, before
	// any caller can run concurrently; parsed on first use instead, the
	// parse must be guarded (fork change, see FORK.md).
	metadataCollOnce sync.Once
)

// MetadataCollection returns the embedded territory metadata collection. The
// result is parsed once and cached; it always reflects the embedded data and
// is independent of any container swapped in via useMetadata.
func MetadataCollection() (*PhoneMetadataCollection, error) {
	metadataCollOnce.Do(func() {
		currMetadataColl, currMetadataErr = parseMetadataCollection()
	})
	return currMetadataColl, currMetadataErr
}

// parseMetadataCollection decodes the embedded territory metadata.
func parseMetadataCollection() (*PhoneMetadataCollection, error) {
	metadataCollection := &PhoneMetadataCollection{}
	if err := proto.Unmarshal(numberData, metadataCollection); err != nil {
		return nil, err
	}
	return metadataCollection, nil
}
