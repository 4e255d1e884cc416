#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The filter-smime authors.  See LICENSE.
"""Strict check of the Authentication-Results (RFC 8601 §2.2, with RFC
5322 CFWS and RFC 2045 tokens) and X-SMIME-* fields of messages.

    authres_check.py FILE...

Reads the header section of each file (leading Return-Path/Delivered-To
lines of a delivery are ordinary fields), unfolds it, and checks every
Authentication-Results field against the grammar, and every X-SMIME-*
field as unstructured text whose comments are balanced.  Beyond the
grammar: no value is empty, smime= results are the RFC 7281 ones, and no
octet is a control (but HT) or 8-bit.  Prints one line per bad field,
"FILE: FIELD: why", and exits 1 when there was any; 0 otherwise.
"""
import re
import sys

TSPECIALS = set('()<>@,;:\\"/[]?=')
ATEXT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            "0123456789!#$%&'*+-/=?^_`{|}~")
SMIME_RESULTS = {"pass", "fail", "neutral", "none", "policy", "temperror",
                 "permerror"}


class Bad(Exception):
    pass


class P:
    """A cursor over one unfolded field body."""

    def __init__(self, s):
        self.s = s
        self.i = 0

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else ""

    def eat(self, c):
        if self.peek() != c:
            raise Bad("expected %r at %d, got %r" % (c, self.i, self.peek()))
        self.i += 1

    def at_end(self):
        return self.i >= len(self.s)

    def comment(self):
        self.eat("(")
        depth = 1
        while depth:
            c = self.peek()
            if c == "":
                raise Bad("unterminated comment")
            self.i += 1
            if c == "\\":
                if self.at_end():
                    raise Bad("quoted-pair at the end")
                self.i += 1
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1

    def cfws(self):
        """[CFWS]; returns whether any was there."""
        start = self.i
        while True:
            c = self.peek()
            if c in (" ", "\t"):
                self.i += 1
            elif c == "(":
                self.comment()
            else:
                return self.i > start

    def token(self):
        start = self.i
        while (not self.at_end() and 0x20 < ord(self.peek()) < 0x7f and
               self.peek() not in TSPECIALS):
            self.i += 1
        if self.i == start:
            raise Bad("token expected at %d" % start)
        return self.s[start:self.i]

    def quoted(self):
        self.eat('"')
        out = []
        while True:
            c = self.peek()
            if c == "":
                raise Bad("unterminated quoted-string")
            self.i += 1
            if c == '"':
                break
            if c == "\\":
                if self.at_end():
                    raise Bad("quoted-pair at the end")
                out.append(self.peek())
                self.i += 1
            else:
                out.append(c)
        if not "".join(out).strip():
            raise Bad("empty quoted-string")
        return "".join(out)

    def value(self):
        return self.quoted() if self.peek() == '"' else self.token()

    def keyword(self):
        m = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?").match(
            self.s, self.i)
        if not m:
            raise Bad("keyword expected at %d" % self.i)
        self.i = m.end()
        return m.group(0)

    def dot_atom(self):
        start = self.i
        while True:
            n = self.i
            while not self.at_end() and self.peek() in ATEXT:
                self.i += 1
            if self.i == n:
                raise Bad("atom expected at %d" % self.i)
            if self.peek() != ".":
                return self.s[start:self.i]
            self.i += 1

    def domain_name(self):
        m = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                       ).match(self.s, self.i)
        if not m:
            raise Bad("domain-name expected at %d" % self.i)
        self.i = m.end()

    def pvalue(self):
        """[CFWS] (value / [[local-part] "@"] domain-name) [CFWS]"""
        self.cfws()
        start = self.i
        # the addr-spec forms first: a token cannot hold "@"
        try:
            if self.peek() == "@":
                self.i += 1
                self.domain_name()
            else:
                if self.peek() == '"':
                    self.quoted()
                else:
                    self.dot_atom()
                self.eat("@")
                self.domain_name()
            if self.at_end() or self.peek() in " \t(;":
                self.cfws()
                return
        except Bad:
            pass
        self.i = start
        self.value()
        self.cfws()


def check_authres(body):
    p = P(body)
    p.cfws()
    p.value()                                   # authserv-id
    if p.cfws() and p.peek().isdigit():         # authres-version
        while p.peek().isdigit():
            p.i += 1
        p.cfws()
    p.cfws()
    p.eat(";")
    p.cfws()
    if p.s[p.i:p.i + 4].lower() == "none":
        save = p.i
        p.i += 4
        p.cfws()
        if p.at_end():
            return
        p.i = save
    first = True
    while True:
        if not first:
            p.cfws()
            if p.at_end():
                return
            p.eat(";")
        first = False
        p.cfws()
        method = p.keyword()
        p.cfws()
        if p.peek() == "/":
            p.i += 1
            p.cfws()
            p.keyword()
            p.cfws()
        p.eat("=")
        p.cfws()
        result = p.keyword()
        if method.lower() == "smime" and result.lower() not in SMIME_RESULTS:
            raise Bad("smime result %r is not one of RFC 7281" % result)
        had = p.cfws()
        if had and p.s[p.i:p.i + 6].lower() == "reason":
            p.i += 6
            p.cfws()
            p.eat("=")
            p.cfws()
            p.value()
            had = p.cfws()
        while had and not p.at_end() and p.peek() != ";":
            p.keyword()                         # ptype
            p.cfws()
            p.eat(".")
            p.cfws()
            p.keyword()                         # property
            p.cfws()
            p.eat("=")
            p.pvalue()
            had = True
        if not had and not p.at_end() and p.peek() != ";":
            raise Bad("junk at %d: %r" % (p.i, p.s[p.i:p.i + 20]))


def check_unstructured(body):
    if not body.strip():
        raise Bad("empty")
    depth = 0
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and depth:
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise Bad("unbalanced ')'")
        i += 1
    if depth:
        raise Bad("unterminated comment")


def fields(data):
    """(name, unfolded body) of each field of the header section."""
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]
    cur = None
    for line in re.split(rb"\r?\n", head):
        if line[:1] in (b" ", b"\t") and cur is not None:
            cur[1] += line
            continue
        if cur is not None:
            yield cur
        name, sep, rest = line.partition(b":")
        if not sep:
            cur = None
            continue
        cur = [name.strip(), rest]
    if cur is not None:
        yield cur


def check_file(path):
    bad = 0
    seen = 0
    with open(path, "rb") as f:
        data = f.read()
    for name, body in fields(data):
        lname = name.lower()
        if lname != b"authentication-results" and \
                not lname.startswith(b"x-smime-"):
            continue
        seen += 1
        why = None
        if any(b < 0x20 and b != 0x09 or b >= 0x7f for b in body):
            why = "control or 8-bit octet"
        else:
            try:
                text = body.decode("ascii")
                if lname == b"authentication-results":
                    check_authres(text)
                else:
                    check_unstructured(text)
            except Bad as e:
                why = str(e)
        if why:
            print("%s: %s: %s [%s]" % (path, name.decode("latin-1"), why,
                                      body.decode("latin-1")[:200]))
            bad += 1
    return bad, seen


def main():
    bad = seen = 0
    for path in sys.argv[1:]:
        b, s = check_file(path)
        bad += b
        seen += s
    sys.stderr.write("authres_check: %d fields, %d bad\n" % (seen, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
