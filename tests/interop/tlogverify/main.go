// Command tlogverify checks a Sluss diarium export, an inclusion proof file
// and a consistency body using only Go's golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog: no Sluss code. Formats: docs/DIARIUM.md.
//
// Build in GOPATH mode against Debian's golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tlogverify .
//
// Usage:
//
//	tlogverify -dir EXPORT [-proof FILE.tlog-proof] [-consistency BODY -old-checkpoint NOTE]
//
// Exits 0 and prints "OK ..." if everything verifies; prints "FAIL: ..." and
// exits 1 otherwise.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

type checkpoint struct {
	origin string
	tree   tlog.Tree
	sigs   int
}

// parseCheckpoint verifies a signed checkpoint note and parses its text
// (c2sp.org/tlog-checkpoint: origin, size, base64 root).
func parseCheckpoint(msg []byte, verifiers note.Verifiers) (checkpoint, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return checkpoint{}, fmt.Errorf("opening checkpoint note: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return checkpoint{}, errors.New("checkpoint: too few lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("checkpoint: bad size %q", lines[1])
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint: bad root %q", lines[2])
	}
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: h}, sigs: len(n.Sigs)}, nil
}

// dirTiles reads C2SP tlog-tiles paths: tile/<L>/<N>[.p/<W>] and
// tile/entries/<N>[.p/<W>]. x/mod's own paths carry the height and say
// "data"; the index encoding (x001/x234/067) is the same.
type dirTiles struct{ dir string }

func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
	if t.L == -1 {
		return "tile/entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

func (d dirTiles) Height() int { return tileHeight }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func readHashLines(lines []string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, l := range lines {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return nil, fmt.Errorf("bad hash line %q", l)
		}
		out = append(out, h)
	}
	return out, nil
}

// splitHead splits at the first empty line.
func splitHead(data []byte) ([]string, []byte, error) {
	i := bytes.Index(data, []byte("\n\n"))
	if i < 0 {
		return nil, nil, errors.New("no blank line")
	}
	return strings.Split(string(data[:i]), "\n"), data[i+2:], nil
}

func run() (string, error) {
	dir := flag.String("dir", "", "exported tlog-tiles directory")
	proofFile := flag.String("proof", "", "c2sp.org/tlog-proof@v1 file")
	consFile := flag.String("consistency", "", "tlog-witness add-checkpoint body")
	oldCP := flag.String("old-checkpoint", "", "signed checkpoint of the old size")
	flag.Parse()

	vkeys, err := os.ReadFile(filepath.Join(*dir, "vkeys"))
	if err != nil {
		return "", err
	}
	var vs []note.Verifier
	for _, line := range strings.Split(strings.TrimSpace(string(vkeys)), "\n") {
		v, err := note.NewVerifier(line)
		if err != nil {
			return "", fmt.Errorf("vkeys: %v", err)
		}
		vs = append(vs, v)
	}
	verifiers := note.VerifierList(vs...)

	msg, err := os.ReadFile(filepath.Join(*dir, "checkpoint"))
	if err != nil {
		return "", err
	}
	cp, err := parseCheckpoint(msg, verifiers)
	if err != nil {
		return "", err
	}
	if cp.sigs != len(vs) {
		return "", fmt.Errorf("checkpoint has %d verified signatures, want %d", cp.sigs, len(vs))
	}
	for _, v := range vs {
		if v.Name() != cp.origin {
			return "", fmt.Errorf("key name %q is not the origin %q", v.Name(), cp.origin)
		}
	}
	N := cp.tree.N

	// Tiles: TileHashReader authenticates every tile it reads against the
	// checkpoint's root, so every hash below is proven.
	hr := tlog.TileHashReader(cp.tree, dirTiles{*dir})
	if N == 0 {
		// RFC 6962: MTH({}) = SHA-256(""); x/mod 0.7.0 says zeros instead.
		if cp.tree.Hash != tlog.Hash(sha256.Sum256(nil)) {
			return "", errors.New("empty tree root is not SHA-256(\"\")")
		}
	} else {
		th, err := tlog.TreeHash(N, hr)
		if err != nil {
			return "", fmt.Errorf("tree hash from tiles: %v", err)
		}
		if th != cp.tree.Hash {
			return "", fmt.Errorf("tiles give root %v, checkpoint says %v", th, cp.tree.Hash)
		}
	}

	// Entry bundles: every entry hashes to its proven leaf hash.
	entries := make([][]byte, 0, N)
	for k := int64(0); k*256 < N; k++ {
		w := N - k*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: tileHeight, L: -1, N: k, W: int(w)}
		data, err := os.ReadFile(filepath.Join(*dir, c2spPath(t)))
		if err != nil {
			return "", err
		}
		for j := int64(0); j < w; j++ {
			if len(data) < 2 {
				return "", fmt.Errorf("bundle %d truncated at entry %d", k, j)
			}
			n := int(data[0])<<8 | int(data[1])
			if len(data) < 2+n {
				return "", fmt.Errorf("bundle %d truncated at entry %d", k, j)
			}
			e := data[2 : 2+n]
			data = data[2+n:]
			i := k*256 + j
			hs, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
			if err != nil {
				return "", err
			}
			if tlog.RecordHash(e) != hs[0] {
				return "", fmt.Errorf("entry %d does not match its leaf hash", i)
			}
			entries = append(entries, e)
		}
		if len(data) != 0 {
			return "", fmt.Errorf("bundle %d has %d trailing bytes", k, len(data))
		}
	}
	result := fmt.Sprintf("OK checkpoint %s size %d, %d signatures, %d entries", cp.origin, N, cp.sigs, len(entries))

	if *proofFile != "" {
		data, err := os.ReadFile(*proofFile)
		if err != nil {
			return "", err
		}
		head, rest, err := splitHead(data)
		if err != nil || len(head) < 2 || head[0] != "c2sp.org/tlog-proof@v1" {
			return "", errors.New("tlog-proof: bad header")
		}
		head = head[1:]
		if strings.HasPrefix(head[0], "extra ") {
			if _, err := base64.StdEncoding.DecodeString(head[0][6:]); err != nil {
				return "", errors.New("tlog-proof: bad extra")
			}
			head = head[1:]
		}
		if !strings.HasPrefix(head[0], "index ") {
			return "", errors.New("tlog-proof: no index line")
		}
		index, err := strconv.ParseInt(head[0][6:], 10, 64)
		if err != nil || index < 0 || index >= int64(len(entries)) {
			return "", fmt.Errorf("tlog-proof: bad index %q", head[0])
		}
		proof, err := readHashLines(head[1:])
		if err != nil {
			return "", fmt.Errorf("tlog-proof: %v", err)
		}
		pcp, err := parseCheckpoint(rest, verifiers)
		if err != nil {
			return "", fmt.Errorf("tlog-proof: %v", err)
		}
		if err := tlog.CheckRecord(tlog.RecordProof(proof), pcp.tree.N, pcp.tree.Hash, index,
			tlog.RecordHash(entries[index])); err != nil {
			return "", fmt.Errorf("tlog-proof: entry %d: %v", index, err)
		}
		result += fmt.Sprintf("; inclusion of entry %d in size %d", index, pcp.tree.N)
	}

	if *consFile != "" {
		data, err := os.ReadFile(*consFile)
		if err != nil {
			return "", err
		}
		head, rest, err := splitHead(data)
		if err != nil || len(head) < 1 || !strings.HasPrefix(head[0], "old ") {
			return "", errors.New("add-checkpoint: bad old line")
		}
		old, err := strconv.ParseInt(head[0][4:], 10, 64)
		if err != nil {
			return "", errors.New("add-checkpoint: bad old size")
		}
		proof, err := readHashLines(head[1:])
		if err != nil {
			return "", fmt.Errorf("add-checkpoint: %v", err)
		}
		ncp, err := parseCheckpoint(rest, verifiers)
		if err != nil {
			return "", fmt.Errorf("add-checkpoint: %v", err)
		}
		omsg, err := os.ReadFile(*oldCP)
		if err != nil {
			return "", err
		}
		ocp, err := parseCheckpoint(omsg, verifiers)
		if err != nil {
			return "", fmt.Errorf("old checkpoint: %v", err)
		}
		if ocp.tree.N != old {
			return "", fmt.Errorf("old checkpoint has size %d, body says %d", ocp.tree.N, old)
		}
		if err := tlog.CheckTree(tlog.TreeProof(proof), ncp.tree.N, ncp.tree.Hash, old, ocp.tree.Hash); err != nil {
			return "", fmt.Errorf("add-checkpoint: %d -> %d: %v", old, ncp.tree.N, err)
		}
		result += fmt.Sprintf("; consistency %d -> %d", old, ncp.tree.N)
	}
	return result, nil
}

func main() {
	out, err := run()
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	fmt.Println(out)
}
