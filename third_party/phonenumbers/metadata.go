package phonenumbers

import "embed"

//go:embed data/countrycode_to_region.xml.gz
var regionData []byte

// numberData is the territory metadata, a PhoneMetadataCollection in
// protobuf encoding. Fork change (see FORK.md): upstream embeds it gzipped
// (data/metadata.xml.gz, which holds protobuf, not XML) and gunzips it at
// every start; embedded as is, it costs 139 kB more binary and no gunzip.
//
//go:embed data/metadata.pb
var numberData []byte

//go:embed data/prefix_to_carriers/*.gz
var carrierData embed.FS
var carrierDataPath = "data/prefix_to_carriers"

//go:embed data/prefix_to_timezone.xml.gz
var timezoneData []byte

//go:embed data/shortnumber_metadata.xml.gz
var shortNumberData []byte
