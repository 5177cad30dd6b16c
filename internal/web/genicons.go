//go:build ignore

// genicons draws the dashboard's PNG icons (the same picture as
// static/icons/icon.svg: a blue tile with a download and an upload arrow).
// Run it from this folder with `go generate` (see web.go); the output is
// committed, so building pb never runs it.
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
)

type pt struct{ x, y float64 }

// The shapes in the SVG's 0..100 coordinates.
var (
	blue   = color.NRGBA{0x2f, 0x6f, 0xe4, 0xff}
	white  = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	orange = color.NRGBA{0xff, 0xb4, 0x7a, 0xff}
	down   = []pt{{30, 24}, {40, 24}, {40, 54}, {49, 54}, {35, 76}, {21, 54}, {30, 54}}
	up     = []pt{{60, 76}, {70, 76}, {70, 46}, {79, 46}, {65, 24}, {51, 46}, {60, 46}}
)

func main() {
	write("static/icons/icon-192.png", 192, false)
	write("static/icons/icon-512.png", 512, false)
	// Maskable: the platform crops to its own shape, so the tile fills the
	// square and the arrows shrink into the central safe zone.
	write("static/icons/icon-maskable-512.png", 512, true)
}

func write(name string, size int, maskable bool) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4 // 4x4 samples per pixel for smooth edges
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) * 100 / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) * 100 / float64(size)
					c, ok := sample(x, y, maskable)
					if !ok {
						continue
					}
					r += float64(c.R)
					g += float64(c.G)
					b += float64(c.B)
					a++
				}
			}
			if a == 0 {
				continue
			}
			n := float64(ss * ss)
			img.SetNRGBA(px, py, color.NRGBA{uint8(r/a + 0.5), uint8(g/a + 0.5), uint8(b/a + 0.5), uint8(255*a/n + 0.5)})
		}
	}
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func sample(x, y float64, maskable bool) (color.NRGBA, bool) {
	if maskable {
		// scale the arrows by 0.75 around the centre
		x, y = 50+(x-50)/0.75, 50+(y-50)/0.75
	} else if !inRoundRect(x, y, 22) {
		return color.NRGBA{}, false
	}
	switch {
	case inPoly(x, y, down):
		return white, true
	case inPoly(x, y, up):
		return orange, true
	}
	return blue, true
}

func inRoundRect(x, y, r float64) bool {
	cx := min(max(x, r), 100-r)
	cy := min(max(y, r), 100-r)
	dx, dy := x-cx, y-cy
	return x >= 0 && x <= 100 && y >= 0 && y <= 100 && dx*dx+dy*dy <= r*r
}

// inPoly is the even-odd rule.
func inPoly(x, y float64, p []pt) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		if (p[i].y > y) != (p[j].y > y) && x < (p[j].x-p[i].x)*(y-p[i].y)/(p[j].y-p[i].y)+p[i].x {
			in = !in
		}
	}
	return in
}
