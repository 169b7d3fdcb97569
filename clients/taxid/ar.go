package taxid

import "fmt"

// cuit validates an Argentine CUIT or CUIL (Clave Única de Identificación
// Tributaria / Laboral): 11 digits, a two-digit type prefix, the 8-digit DNI
// or company number, and a módulo 11 check digit.
//
// Prefixes 20, 23, 24 and 27 are persons: the number is the person's CUIL,
// and the same number is their CUIT once registered with the tax agency
// (ARCA, formerly AFIP), so Kind is "CUIL". Prefixes 30, 33 and 34 are
// companies, Kind "CUIT".
//
// Accepted: "20-17254359-7", "20172543597", with spaces or dots.
// Normalised: "20-17254359-7".
func (v validator) cuit(id string) (Result, error) {
	s := compact(id, true)
	if !digits(s) {
		return Result{}, v.fail("only digits and dashes are allowed",
			"solo se admiten números y guiones, por ejemplo 20-17254359-7")
	}
	if len(s) != 11 {
		return Result{}, v.fail(fmt.Sprintf("has %d digits; a CUIT has 11", len(s)),
			"el CUIT debe tener 11 dígitos, por ejemplo 20-17254359-7")
	}
	kind := ""
	switch s[:2] {
	case "20", "23", "24", "27":
		kind = "CUIL"
	case "30", "33", "34":
		kind = "CUIT"
	default:
		return Result{}, v.fail(fmt.Sprintf("prefix %s is not a CUIT type (20, 23, 24, 27, 30, 33, 34)", s[:2]),
			"los dos primeros dígitos deben ser 20, 23, 24, 27, 30, 33 o 34; revise el CUIT")
	}
	want, ok := cuitCheck(s[:10])
	if !ok {
		// ARCA never issues these: it changes the prefix to 23 or 33 instead.
		return Result{}, v.fail("no check digit fits this number, so it was never issued",
			"ese número de CUIT no existe; revise los dígitos")
	}
	if got := int(s[10] - '0'); got != want {
		return Result{}, v.badCheck(fmt.Sprint(want), fmt.Sprint(got))
	}
	return Result{Country: AR, Kind: kind, Normalized: s[:2] + "-" + s[2:10] + "-" + s[10:]}, nil
}

var cuitWeights = []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}

// cuitCheck is 11 - sum mod 11, where 11 is 0 and 10 fits no number.
func cuitCheck(first10 string) (int, bool) {
	switch d := 11 - weighted(first10, cuitWeights)%11; d {
	case 11:
		return 0, true
	case 10:
		return 0, false
	default:
		return d, true
	}
}
