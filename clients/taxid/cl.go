package taxid

import (
	"fmt"
	"strings"
)

// rut validates a Chilean RUT (Rol Único Tributario).
//
// Accepted: "12.345.678-5", "12345678-5", "123456785", with spaces, and a
// "K" check letter in either case. The body has 6 to 8 digits: companies
// have 8 (76.086.428-5), old personal RUTs 7 or even 6. Dots are removed
// without checking their grouping. Normalised: "12345678-5", "1234567-K".
func (v validator) rut(id string) (Result, error) {
	s := compact(id, false)
	body, dv := s, ""
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if i != len(s)-2 || strings.Count(s, "-") > 1 {
			return Result{}, v.fail("the dash must come right before the check digit, as in 12345678-5",
				"el guion va justo antes del dígito verificador, por ejemplo 12.345.678-5")
		}
		body, dv = s[:i], s[i+1:]
	} else if len(s) > 0 {
		body, dv = s[:len(s)-1], s[len(s)-1:]
	}
	if !digits(body) || (dv != "K" && !digits(dv)) {
		return Result{}, v.fail("only digits are allowed, and K as the check digit",
			"solo se admiten números y la letra K como dígito verificador, por ejemplo 12.345.678-K")
	}
	if len(body) < 6 || len(body) > 8 {
		return Result{}, v.fail(fmt.Sprintf("has %d digits before the check digit; a RUT has 6 to 8", len(body)),
			"el RUT debe tener entre 6 y 8 dígitos antes del guion, más el dígito verificador")
	}
	if want := rutCheck(body); want != dv {
		return Result{}, v.badCheck(want, dv)
	}
	body = strings.TrimLeft(body, "0")
	if len(body) < 6 {
		return Result{}, v.fail("has leading zeros and too few digits",
			"el RUT debe tener entre 6 y 8 dígitos antes del guion, sin ceros al inicio")
	}
	return Result{Country: CL, Kind: "RUT", Normalized: body + "-" + dv}, nil
}

// rutCheck is the módulo 11 check digit of a RUT body: weights 2..7 from the
// right, 11 - sum mod 11, where 11 is "0" and 10 is "K".
func rutCheck(body string) string {
	sum, w := 0, 2
	for i := len(body) - 1; i >= 0; i-- {
		sum += int(body[i]-'0') * w
		if w++; w > 7 {
			w = 2
		}
	}
	switch d := 11 - sum%11; d {
	case 11:
		return "0"
	case 10:
		return "K"
	default:
		return fmt.Sprint(d)
	}
}
