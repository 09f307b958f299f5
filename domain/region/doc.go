// Package region is the GB/T 2260 administrative-division tree (province,
// city, county) the record uses for jurisdictions and for checking the area
// code of ID numbers.
//
// The data is embedded from data/*.csv (china-division 2.7.0, see
// data/README.md), so the tree is the same in every process and needs no I/O
// at run time. It imports only the standard library.
package region
