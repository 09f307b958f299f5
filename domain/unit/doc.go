// Package unit is the Unit aggregate: a school (单位) registered by an admin
// of its county, stream "unit-<uuid>". It holds the school's official full
// name, county, school area (城区/镇区/乡村) and category: teachers reference
// their unit, so area and category are the same for every teacher of a
// school by construction.
//
// Pure: imports only the standard library, uuid and domain packages.
package unit
