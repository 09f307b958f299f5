// Package certpdf renders the printable PDFs of the training pipeline: the
// completion certificate (培训结业证书) and the class notice (开班通知) a
// teacher gives the school to ask for leave.
//
// Chinese text needs a TrueType font with CJK glyphs (fpdf's AddUTF8Font
// reads .ttf only, not OTF or TTC): by default Debian's fonts-droid-fallback
// at DefaultFontPath, installed by scripts/ensure-tools.sh. The font is read
// once by NewRenderer; a missing or unusable font is a clear startup error.
//
// Output is deterministic for equal input (fixed document dates), so a
// reprinted certificate is byte-identical. ID numbers are masked here,
// whatever the caller passes.
//
// It may import the standard library, fpdf and domain/ident.
package certpdf
