// Package asm holds the Avo programs that generate flowbench's amd64 kernels. It is its own
// module so that the main module does not depend on Avo. Regenerate with:
//
//	cd kernels/asm && go generate ./...
package asm
