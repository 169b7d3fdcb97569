package taxid

import (
	"fmt"
	"strings"
)

// nit validates a Colombian NIT (Número de Identificación Tributaria) with
// its DIAN check digit (dígito de verificación, DV).
//
// The DV is always required, and it is always the last digit: "900.123.456-7",
// "900123456-7" and "9001234567" are the same NIT. A NIT typed without its DV
// therefore fails, and the error asks for the DV after a dash; guessing
// whether the last digit is the DV would silently store a different NIT.
// The body has 3 to 15 digits (companies have 9; persons use their cédula).
// Normalised: "900123456-7".
func (v validator) nit(id string) (Result, error) {
	s := compact(id, false)
	body, dv := s, ""
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if i != len(s)-2 || strings.Count(s, "-") > 1 {
			return Result{}, v.fail("write the check digit after a single dash, as in 900123456-7",
				"escriba el dígito de verificación después de un guion, por ejemplo 900.123.456-7")
		}
		body, dv = s[:i], s[i+1:]
	} else if len(s) > 0 {
		body, dv = s[:len(s)-1], s[len(s)-1:]
	}
	if !digits(body) || !digits(dv) {
		return Result{}, v.fail("only digits are allowed",
			"el NIT solo lleva números, con el dígito de verificación después de un guion, por ejemplo 900.123.456-7")
	}
	body = strings.TrimLeft(body, "0")
	if len(body) < 3 || len(body) > 15 {
		return Result{}, v.fail(fmt.Sprintf("has %d digits before the check digit; a NIT has 3 to 15", len(body)),
			"el NIT debe tener entre 3 y 15 dígitos más el dígito de verificación, por ejemplo 900.123.456-7")
	}
	if want := nitCheck(body); want != dv {
		return Result{}, v.fail(fmt.Sprintf("check digit should be %s, not %s", want, dv),
			"el dígito de verificación no corresponde; escriba el NIT completo con su dígito después de un guion, por ejemplo 900.123.456-7")
	}
	return Result{Country: CO, Kind: "NIT", Normalized: body + "-" + dv}, nil
}

// nitWeights are the DIAN weights, applied from the rightmost body digit.
var nitWeights = []int{3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71}

// nitCheck is sum mod 11 when that is 0 or 1, else 11 minus it.
func nitCheck(body string) string {
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += int(body[len(body)-1-i]-'0') * nitWeights[i]
	}
	r := sum % 11
	if r > 1 {
		r = 11 - r
	}
	return fmt.Sprint(r)
}
