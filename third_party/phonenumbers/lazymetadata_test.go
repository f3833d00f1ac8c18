package phonenumbers

// Fork test (see FORK.md): the embedded metadata, indexed by region and
// decoded on first use, is exactly what decoding the whole collection at
// once, as upstream does, gives.

import (
	"reflect"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestLazyMetadataMatchesTheDecodedCollection(t *testing.T) {
	regionMap, err := loadIntArrayMap(regionData)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	want, err := newMetadataContainer(coll, regionMap.Map)
	if err != nil {
		t.Fatal(err)
	}
	raw := numberData
	got, err := newLazyMetadataContainer(raw, regionMap.Map)
	if err != nil {
		t.Fatal(err)
	}

	if len(got.regionToMetadataMap) != len(want.regionToMetadataMap) {
		t.Errorf("%d regions, want %d", len(got.regionToMetadataMap), len(want.regionToMetadataMap))
	}
	if len(got.regionToMetadataMap) < 200 {
		t.Errorf("only %d regions: the embedded metadata was not all indexed", len(got.regionToMetadataMap))
	}
	// Decode concurrently, as concurrent first parses do; -race watches.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for region, l := range got.regionToMetadataMap {
				w, ok := want.regionToMetadataMap[region]
				if !ok {
					t.Errorf("region %s is not in the decoded collection", region)
					continue
				}
				if !proto.Equal(l.get(), w.get()) {
					t.Errorf("region %s decodes differently", region)
				}
			}
		}()
	}
	wg.Wait()
	if len(got.countryCodeToNonGeographicalMetadataMap) != len(want.countryCodeToNonGeographicalMetadataMap) {
		t.Errorf("%d non-geographical codes, want %d", len(got.countryCodeToNonGeographicalMetadataMap), len(want.countryCodeToNonGeographicalMetadataMap))
	}
	for code, l := range got.countryCodeToNonGeographicalMetadataMap {
		w, ok := want.countryCodeToNonGeographicalMetadataMap[code]
		if !ok || !proto.Equal(l.get(), w.get()) {
			t.Errorf("non-geographical code %d decodes differently", code)
		}
	}
	for name, pair := range map[string][2]any{
		"nanpaRegions":                         {got.nanpaRegions, want.nanpaRegions},
		"supportedRegions":                     {got.supportedRegions, want.supportedRegions},
		"supportedCallingCodes":                {got.supportedCallingCodes, want.supportedCallingCodes},
		"countryCodesForNonGeographicalRegion": {got.countryCodesForNonGeographicalRegion, want.countryCodesForNonGeographicalRegion},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s differs", name)
		}
	}
}

func TestLazyMetadataRefusesMalformedInput(t *testing.T) {
	regionMap, err := loadIntArrayMap(regionData)
	if err != nil {
		t.Fatal(err)
	}
	raw := numberData
	if _, err := newLazyMetadataContainer(nil, regionMap.Map); err != ErrEmptyMetadata {
		t.Errorf("empty input: %v, want ErrEmptyMetadata", err)
	}
	if _, err := newLazyMetadataContainer(raw[:len(raw)-1], regionMap.Map); err == nil {
		t.Error("truncated input was accepted")
	}
}
