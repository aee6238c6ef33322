#!/usr/bin/env node
/**
 * Verifier cases of the kinds the W3C vc-di-eddsa test suite sends, posted to a live VC-API verifier.
 *
 * Usage:
 *   node run.mjs --url http://127.0.0.1:PORT [--results FILE] [--only SUBSTRING]
 *
 * The W3C suite and its case generators are not published on the npm registry, so this harness builds cases of
 * the same kinds with the registry packages the suite itself uses (Digital Bazaar's Data Integrity, the
 * eddsa-rdfc-2022 and eddsa-jcs-2022 cryptosuites, @digitalbazaar/vc, jsonld-signatures): valid proofs, tampered
 * documents and proofs, missing and malformed proof members, a wrong cryptosuite, bad proofValue encodings, a
 * key of the wrong type, undefined terms, proof sets and proof chains. The generic Data Integrity statements
 * are run for eddsa-rdfc-2022 only, as in the suite; the proof set and chain cases are run for eddsa-jcs-2022
 * too (the suite has chain fixtures for rdfc only). Every credential is signed at run time with a fresh Ed25519
 * key (issuer = its did:key). Contexts come from npm packages; nothing is fetched.
 *
 * Each case is posted as {"verifiableCredential": ..., "options": {}} to URL/credentials/verify. As in the
 * suite, a case expected to verify passes on HTTP 200; a case expected to be rejected passes on HTTP 400 or 422
 * (and, when the answer is a VerificationResult, on "verified": false). A 429 is waited out (Retry-After),
 * since the verifier's rate limit is part of the endpoint. Only loopback URLs are accepted.
 *
 * Before posting, every case expected to verify is checked with the Digital Bazaar verifier code (proof chains
 * by the Data Integrity "verify proof sets and chains" steps), so a failure is the verifier's, not the
 * generator's.
 *
 * Output: a pass/fail table on standard output; with --results, a JSON file
 *   {"cases": [{"id", "suite", "name", "statement", "expect", "contexts", "status", "verified", "passed",
 *               "errors"}...], "passed": N, "total": N, "key": "did:key:...", "rateLimitWaits": N,
 *    "versions": {...}}
 * Exit status 0 when every case passed, 1 when some failed, 2 on a usage error, 3 when a generated case is
 * broken (the local check failed), 4 when the verifier did not answer, 5 on any other error.
 */

import {readFileSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import process from 'node:process';
import {randomUUID} from 'node:crypto';

import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as base58btc from 'base58-universal';
import * as vc from '@digitalbazaar/vc';
import {
  createSignCryptosuite as createJcsSignCryptosuite,
  createVerifyCryptosuite as createJcsVerifyCryptosuite
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import canonicalize from 'canonicalize';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {cryptosuite as rdfcCryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import jsigs from 'jsonld-signatures';

const require = createRequire(import.meta.url);
const dataIntegrityContext = require('@digitalbazaar/data-integrity-context');
const didContext = require('did-context');
const multikeyContext = require('@digitalbazaar/multikey-context');

const VC1 = 'https://www.w3.org/2018/credentials/v1';
const VC2 = 'https://www.w3.org/ns/credentials/v2';
const DI2 = dataIntegrityContext.DATA_INTEGRITY_CONTEXT_V2_URL;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const RATE_LIMIT_BUDGET_MS = 120_000;
const REPORTED_PACKAGES = [
  '@digitalbazaar/data-integrity', '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite', '@digitalbazaar/vc', 'jsonld-signatures', 'jsonld'
];

function usage(message) {
  process.stderr.write(`run.mjs: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const out = {url: null, results: null, only: null};
  for(let i = 0; i < argv.length; i++) {
    const [name, value] = [argv[i], argv[i + 1]];
    if(!['--url', '--results', '--only'].includes(name)) {
      usage(`unknown argument ${name}`);
    }
    if(value === undefined) {
      usage(`${name} needs a value`);
    }
    out[name.slice(2)] = value;
    i++;
  }
  if(!out.url) {
    usage('--url is required (the verifier origin, e.g. http://127.0.0.1:8501)');
  }
  let parsed;
  try {
    parsed = new URL(out.url);
  } catch(error) {
    usage(`--url: ${error.message}`);
  }
  if(parsed.protocol !== 'http:' || !LOOPBACK_HOSTS.has(parsed.hostname)) {
    usage('--url must be a plain-HTTP loopback origin (this harness only talks to a local portal)');
  }
  out.url = parsed.origin;
  return out;
}

// --- documents -------------------------------------------------------------------------------------------------

function contextMap() {
  const map = new Map();
  for(const [url, document] of credentialsContexts) {
    map.set(url, document);
  }
  for(const pkg of [dataIntegrityContext, didContext, multikeyContext]) {
    for(const [url, document] of pkg.contexts) {
      map.set(url, document);
    }
  }
  return map;
}

const CONTEXTS = contextMap();

// Signing a document that uses a term its contexts do not define needs a loader that defines it; only the
// generator ever sees this copy (the verifier gets the credential with the standard context URLs).
function contextsWithExtraTerm(term) {
  const map = new Map(CONTEXTS);
  const copy = structuredClone(map.get(DI2));
  copy['@context'][term] = `urn:example:${term}`;
  map.set(DI2, copy);
  return map;
}

function makeLoader(contexts = CONTEXTS) {
  const didKey = didKeyDriver();
  didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  didKey.use({multibaseMultikeyHeader: 'zDna', fromMultibase: EcdsaMultikey.from});
  return async url => {
    if(url.startsWith('did:key:')) {
      return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
    }
    const document = contexts.get(url);
    if(document) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(document)};
    }
    throw new Error(`offline document loader: ${url} is not available`);
  };
}

const LOADER = makeLoader();

// --- keys ------------------------------------------------------------------------------------------------------

async function withDidKeyId(module, generated) {
  const did = `did:key:${generated.publicKeyMultibase}`;
  const exported = await generated.export({publicKey: true, secretKey: true, includeContext: true});
  return module.from({...exported, id: `${did}#${generated.publicKeyMultibase}`, controller: did});
}

async function makeKeys() {
  const ed25519 = await withDidKeyId(Ed25519Multikey, await Ed25519Multikey.generate());
  const p256 = await withDidKeyId(EcdsaMultikey, await EcdsaMultikey.generate({curve: 'P-256'}));
  return {ed25519, p256};
}

// --- signing ---------------------------------------------------------------------------------------------------

function w3cDate(offsetSeconds = 0) {
  return new Date(Date.now() + offsetSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function signCryptosuite(suiteName) {
  return suiteName === 'eddsa-jcs-2022' ? createJcsSignCryptosuite() : rdfcCryptosuite;
}

function verifyCryptosuite(suiteName) {
  return suiteName === 'eddsa-jcs-2022' ? createJcsVerifyCryptosuite() : rdfcCryptosuite;
}

function newSuite({suiteName, signer, cryptosuite, date, proof}) {
  const suite = new DataIntegrityProof({
    signer, date: date ?? w3cDate(), cryptosuite: cryptosuite ?? signCryptosuite(suiteName)
  });
  if(proof) {
    suite.proof = proof;
  }
  return suite;
}

async function issue(credential, {suiteName, signer, purpose, loader = LOADER, ...options}) {
  const suite = newSuite({suiteName, signer, ...options});
  return vc.issue({
    credential: structuredClone(credential), suite, documentLoader: loader,
    purpose: purpose ?? new vc.CredentialIssuancePurpose()
  });
}

// Data Integrity "add proof set/chain": the new proof covers the document with the proofs it names (as a list)
// in place of `proof`; jsonld-signatures always removes `proof` before signing, so that step is done here.
async function addChainedProof(secured, {suiteName, signer, previousProof, date}) {
  const allProofs = [].concat(secured.proof ?? []);
  const wanted = [].concat(previousProof);
  const input = {...structuredClone(secured), proof: allProofs.filter(p => wanted.includes(p.id))};
  const suite = newSuite({suiteName, signer, date, proof: {previousProof}});
  const proof = await suite.createProof({
    document: input, purpose: new vc.CredentialIssuancePurpose(), proofSet: allProofs, documentLoader: LOADER
  });
  return {...structuredClone(secured), proof: [...allProofs, proof]};
}

function firstProof(credential) {
  return Array.isArray(credential.proof) ? credential.proof[0] : credential.proof;
}

function withProofValue(credential, mutate) {
  const copy = structuredClone(credential);
  const proof = firstProof(copy);
  proof.proofValue = mutate(proof.proofValue);
  return copy;
}

// A signer that says it is Ed25519 (so the eddsa cryptosuite accepts it) but signs with a P-256 key: the proof
// names a P-256 verification method, which an eddsa verifier must refuse.
function mislabelledSigner(p256) {
  const real = p256.signer();
  return {algorithm: 'Ed25519', id: real.id, sign: real.sign.bind(real)};
}

// --- cases -----------------------------------------------------------------------------------------------------

function baseV2(issuer) {
  return {
    '@context': [VC2],
    id: `urn:uuid:${randomUUID()}`,
    type: ['VerifiableCredential'],
    issuer,
    credentialSubject: {id: 'did:example:interop-subject', name: 'Interop test subject'}
  };
}

function baseV11(issuer) {
  return {
    '@context': [VC1],
    id: `urn:uuid:${randomUUID()}`,
    type: ['VerifiableCredential'],
    issuer,
    credentialSubject: {id: 'did:example:interop-subject'}
  };
}

async function chain({suiteName, signer, issuer, previousProof}) {
  const firstId = `urn:uuid:${randomUUID()}`;
  const first = await issue(baseV2(issuer), {
    suiteName, signer, date: w3cDate(-120), proof: {id: firstId}
  });
  const named = previousProof === undefined ? firstId : previousProof;
  return addChainedProof(first, {
    suiteName, signer, date: w3cDate(-60),
    previousProof: named === 'array' ? [firstId] : named
  });
}

/**
 * The cases for one cryptosuite: [name, statement, expect, build] with build() -> the verifiableCredential.
 */
function casesFor(suiteName, {ed25519, p256}) {
  const signer = ed25519.signer();
  const issuer = ed25519.controller;
  const other = suiteName === 'eddsa-jcs-2022' ? 'eddsa-rdfc-2022' : 'eddsa-jcs-2022';
  const valid = () => issue(baseV2(issuer), {suiteName, signer});
  const validV11 = () => issue(baseV11(issuer), {suiteName, signer});
  const edit = (build, change) => async () => {
    const credential = structuredClone(await build());
    change(credential, firstProof(credential));
    return credential;
  };
  const cases = [
    ['issuedVc', `verifies a valid ${suiteName} proof (VC 2.0)`, 'verified', valid],
    ['issuedVcV11', `verifies a valid ${suiteName} proof (VC 1.1)`, 'verified', validV11],
    ['proofSet', 'a proof set (two independent proofs): all proofs MUST verify', 'verified', async () => {
      const once = await issue(baseV2(issuer), {suiteName, signer, date: w3cDate(-120)});
      return issue(once, {suiteName, signer, date: w3cDate(-60)});
    }],
    ['previousProofStringOk', 'previousProof as a string naming a proof that verifies', 'verified',
      () => chain({suiteName, signer, issuer})],
    ['previousProofArrayOk', 'previousProof as an array naming proofs that verify', 'verified',
      () => chain({suiteName, signer, issuer, previousProof: 'array'})],
    ['tamperedCredential', 'a credential changed after signing MUST NOT verify', 'rejected',
      edit(valid, c => {
        c.credentialSubject.name = 'Someone else';
      })],
    ['tamperedProof', 'proof options changed after signing (created) MUST NOT verify', 'rejected',
      edit(valid, (c, p) => {
        p.created = '2001-01-01T00:00:00Z';
      })],
    ['wrongCryptosuite', `a proof made with ${other}'s transformation but labelled ${suiteName} MUST NOT verify`,
      'rejected', () => issue(baseV2(issuer), {
        suiteName, signer, cryptosuite: suiteName === 'eddsa-jcs-2022' ?
          {...createJcsSignCryptosuite(), canonize: input => rdfcCryptosuite.canonize(input, {
            documentLoader: LOADER
          })} :
          {...rdfcCryptosuite, canonize: async input => canonicalize(input)}
      })],
    ['invalidCryptosuite', 'proof.cryptosuite is not a known cryptosuite: an error MUST be raised', 'rejected',
      edit(valid, (c, p) => {
        p.cryptosuite = 'unknown-cryptosuite-2017';
      })],
    ['proofValueWrongLength', 'proofValue that does not decode to 64 bytes MUST be rejected', 'rejected',
      async () => withProofValue(await valid(), value => {
        const bytes = base58btc.decode(value.slice(1));
        return 'z' + base58btc.encode(new Uint8Array([...bytes, ...new Uint8Array(32).fill(7)]));
      })],
    ['tamperedProofValue', 'a proofValue with one byte changed MUST NOT verify', 'rejected',
      async () => withProofValue(await valid(), value => {
        const bytes = base58btc.decode(value.slice(1));
        bytes[10] ^= 0x01;
        return 'z' + base58btc.encode(bytes);
      })],
    ['missingPreviousProofString', 'previousProof (string) naming no proof in the set: an error MUST be raised',
      'rejected', () => chain({suiteName, signer, issuer, previousProof: `urn:uuid:${randomUUID()}`})],
    ['previousProofFail', 'a proof whose previousProof does not verify MUST NOT verify', 'rejected',
      async () => {
        const chained = await chain({suiteName, signer, issuer});
        chained.proof[0].proofValue = 'z' + base58btc.encode(new Uint8Array(64).fill(1));
        return chained;
      }]
  ];
  if(suiteName !== 'eddsa-rdfc-2022') {
    return cases;
  }
  // The generic Data Integrity verifier statements, which the W3C suite runs against eddsa-rdfc-2022 verifiers.
  return cases.concat([
    ['credentialNotMap', 'the secured document is not a map: an error MUST be raised', 'rejected',
      async () => JSON.stringify(await valid())],
    ['proofNotMap', 'securedDocument.proof is not a map: an error MUST be raised', 'rejected',
      edit(valid, c => {
        c.proof = null;
      })],
    ['noProof', 'a credential without a proof MUST NOT verify', 'rejected',
      edit(valid, c => {
        delete c.proof;
      })],
    ['noProofType', 'proof.type missing: an error MUST be raised', 'rejected',
      edit(valid, (c, p) => {
        delete p.type;
      })],
    ['noVerificationMethod', 'proof.verificationMethod missing: an error MUST be raised', 'rejected',
      edit(valid, (c, p) => {
        delete p.verificationMethod;
      })],
    ['noProofPurpose', 'proof.proofPurpose missing: an error MUST be raised', 'rejected',
      edit(valid, (c, p) => {
        delete p.proofPurpose;
      })],
    ['invalidProofPurpose', 'a proof made for another purpose (authentication) MUST NOT verify as an assertion',
      'rejected', () => issue(baseV2(issuer), {
        suiteName, signer, purpose: new jsigs.purposes.ProofPurpose({term: 'authentication'})
      })],
    ['invalidProofType', 'proof.type MUST be DataIntegrityProof', 'rejected',
      edit(valid, (c, p) => {
        p.type = 'UnknownProofType';
      })],
    ['noProofValue', 'the proofValue property MUST be present', 'rejected',
      async () => withProofValue(await valid(), () => undefined)],
    ['nullProofValue', 'proofValue null MUST be rejected', 'rejected',
      async () => withProofValue(await valid(), () => null)],
    ['proofValueNoMultibaseHeader', 'proofValue MUST carry its multibase header', 'rejected',
      async () => withProofValue(await valid(), value => value.slice(1))],
    ['proofValueBase64url', 'proofValue MUST be base58-btc encoded (z header)', 'rejected',
      async () => withProofValue(await valid(), value =>
        'u' + Buffer.from(base58btc.decode(value.slice(1))).toString('base64url'))],
    ['wrongKeyType', 'a P-256 verification method MUST NOT verify an eddsa proof', 'rejected',
      () => issue(baseV2(p256.controller), {suiteName, signer: mislabelledSigner(p256)})],
    ['invalidVerificationMethod', 'a verificationMethod that is not a key MUST NOT verify', 'rejected',
      edit(valid, (c, p) => {
        p.verificationMethod = 'did:key:zInvalidVerificationMethod';
      })],
    ['undefinedTermSigned', 'an undefined term signed in a VC 1.1 credential: data loss MUST be an error',
      'rejected', () => {
        const credential = baseV11(issuer);
        credential.credentialSubject.undefinedTerm = 'dropped by JSON-LD';
        return issue(credential, {suiteName, signer, loader: makeLoader(contextsWithExtraTerm('undefinedTerm'))});
      }],
    ['undefinedTermAdded', 'an undefined term added after issuance (VC 1.1) MUST NOT verify', 'rejected',
      edit(validV11, c => {
        c.credentialSubject.undefinedTerm = 'added later';
      })],
    ['undefinedTypeAdded', 'an undefined type added after issuance (VC 1.1) MUST NOT verify', 'rejected',
      edit(validV11, c => {
        c.type.push('UndefinedType');
      })],
    ['invalidBaseUrl', 'the base URL MUST be null when deserializing to RDF: a relative type signed under an ' +
      '@base that is then removed MUST NOT verify', 'rejected', async () => {
      const credential = baseV11(issuer);
      credential['@context'].push({'@base': 'https://base.example/'});
      credential.type.push('RelativeCredentialType');
      const signed = await issue(credential, {suiteName, signer});
      signed['@context'] = signed['@context'].filter(c => typeof c === 'string');
      return signed;
    }],
    ['missingPreviousProofArray', 'previousProof (array) naming no proof in the set: an error MUST be raised',
      'rejected', () => chain({suiteName, signer, issuer, previousProof: [`urn:uuid:${randomUUID()}`]})]
  ]);
}

// --- local check of the cases expected to verify ----------------------------------------------------------------

// Data Integrity "verify proof sets and chains": each proof against the document holding the proofs it names.
async function checkLocally(credential) {
  const all = [].concat(credential.proof);
  for(const proof of all) {
    const named = proof.previousProof === undefined ? null : [].concat(proof.previousProof);
    const document = {...structuredClone(credential)};
    delete document.proof;
    if(named) {
      const matching = all.filter(p => named.includes(p.id));
      if(matching.length !== named.length) {
        throw new Error(`previousProof ${named} names a proof that is not there`);
      }
      document.proof = matching;
    }
    const suite = new DataIntegrityProof({cryptosuite: verifyCryptosuite(proof.cryptosuite)});
    const {verified, error} = await suite.verifyProof({
      proof: structuredClone(proof), proofSet: all, document, documentLoader: LOADER
    });
    if(!verified) {
      throw error ?? new Error('proof did not verify');
    }
  }
  if(all.every(p => p.previousProof === undefined)) {
    // and the ordinary path, so purpose checks are covered too
    const suites = [...new Set(all.map(p => p.cryptosuite))].map(name =>
      new DataIntegrityProof({cryptosuite: verifyCryptosuite(name)}));
    const result = await vc.verifyCredential({credential, suite: suites, documentLoader: LOADER});
    if(!result.verified) {
      throw result.error ?? new Error('vc.verifyCredential failed');
    }
  }
}

// --- posting ---------------------------------------------------------------------------------------------------

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
let rateLimitWaits = 0;

async function post(url, credential, deadline) {
  const body = JSON.stringify({verifiableCredential: credential, options: {}});
  for(;;) {
    const response = await fetch(`${url}/credentials/verify`, {
      method: 'POST', body, headers: {'content-type': 'application/json', accept: 'application/json'}
    });
    const text = await response.text();
    if(response.status === 429) {
      const wait = 1000 * Math.max(1, Number.parseInt(response.headers.get('retry-after') ?? '1', 10) || 1);
      if(Date.now() + wait > deadline) {
        throw new Error('still rate limited after the time budget');
      }
      rateLimitWaits++;
      await sleep(wait);
      continue;
    }
    let json = null;
    try {
      json = JSON.parse(text);
    } catch{
      // not JSON: reported as the raw text
    }
    return {status: response.status, contentType: response.headers.get('content-type') ?? '', json, text};
  }
}

function judge(expect, answer) {
  const result = answer.json && typeof answer.json === 'object' && 'verified' in answer.json ? answer.json : null;
  if(expect === 'verified') {
    return answer.status === 200 && (!result || result.verified === true);
  }
  return [400, 422].includes(answer.status) && (!result || result.verified === false);
}

function errorsOf(answer) {
  const json = answer.json;
  if(json && Array.isArray(json.errors)) {
    return json.errors.map(e => `${e.check ?? ''} ${e.title ?? ''}: ${e.detail ?? ''}`.trim()).slice(0, 3);
  }
  if(json && json.detail) {
    return [`${json.title ?? ''}: ${json.detail}`];
  }
  return answer.text ? [answer.text.slice(0, 200)] : [];
}

function contextsOf(credential) {
  if(!credential || typeof credential !== 'object') {
    return [];
  }
  return [].concat(credential['@context'] ?? []).filter(c => typeof c === 'string');
}

function versions() {
  const out = {};
  for(const name of REPORTED_PACKAGES) {
    try {
      out[name] = JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url))).version;
    } catch{
      out[name] = null;
    }
  }
  return out;
}

function table(rows) {
  const head = ['result', 'case', 'expect', 'HTTP', 'first error'];
  const body = rows.map(r => [r.passed ? 'PASS' : 'FAIL', r.id, r.expect, String(r.status ?? '-'),
    (r.errors[0] ?? '').slice(0, 90)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)));
  const line = cells => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map(w => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const keys = await makeKeys();
  const cases = [];
  for(const suiteName of ['eddsa-rdfc-2022', 'eddsa-jcs-2022']) {
    for(const [name, statement, expect, build] of casesFor(suiteName, keys)) {
      const id = `${suiteName}/${name}`;
      if(args.only && !id.includes(args.only)) {
        continue;
      }
      cases.push({id, suite: suiteName, name, statement, expect, credential: await build()});
    }
  }
  for(const c of cases.filter(c => c.expect === 'verified')) {
    try {
      await checkLocally(c.credential);
    } catch(error) {
      process.stderr.write(`run.mjs: generated case ${c.id} does not verify locally: ${error.message}\n`);
      process.exit(3);
    }
  }
  const deadline = Date.now() + RATE_LIMIT_BUDGET_MS;
  const rows = [];
  for(const c of cases) {
    let answer;
    try {
      answer = await post(args.url, c.credential, deadline);
    } catch(error) {
      process.stderr.write(`run.mjs: ${c.id}: no answer from ${args.url}: ${error.cause?.message ?? error.message}\n`);
      process.exit(4);
    }
    const result = answer.json && typeof answer.json === 'object' ? answer.json : {};
    rows.push({
      id: c.id, suite: c.suite, name: c.name, statement: c.statement, expect: c.expect,
      contexts: contextsOf(c.credential), status: answer.status,
      verified: typeof result.verified === 'boolean' ? result.verified : null,
      passed: judge(c.expect, answer), errors: errorsOf(answer)
    });
  }
  const passed = rows.filter(r => r.passed).length;
  process.stdout.write(`${table(rows)}\n\n${passed} passed, ${rows.length - passed} failed\n`);
  if(args.results) {
    writeFileSync(args.results, JSON.stringify({
      cases: rows, passed, total: rows.length, key: keys.ed25519.controller, rateLimitWaits,
      versions: versions()
    }, null, 2));
  }
  process.exit(passed === rows.length ? 0 : 1);
}

try {
  await main();
} catch(error) {
  process.stderr.write(`run.mjs: ${error.stack ?? error}\n`);
  process.exit(5);
}
