// Package institution is the register of training institutions (承培机构):
// stream "institution-<uuid>", with name, code and contact. Projects refer to
// institutions by id (and copy the name into their own events); accounts of
// role institution carry the id, so an institution's users see only the
// classes assigned to it.
//
// The province admin keeps the register: institutions work for projects of
// every level, so one province-wide list avoids the same university being
// registered twice by two cities.
//
// Pure: imports the standard library, uuid, domain, domain/event and
// domain/access.
package institution
