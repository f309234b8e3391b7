// Reads calendar feeds with ical.js (Mozilla's parser, as Thunderbird uses it)
// and checks that every event starts and ends at the instant the application
// meant. For each FEED.ics a side file FEED.expected.json holds
//   {"events": {"<UID>": {"start": "2027-03-15T01:00:00Z", "end": "..."}}}
// written from the database, not from the feed's text.
//
//   node check.mjs FILE.ics|DIRECTORY ...
//
// A TZID must be defined by a VTIMEZONE inside the same file (no fallback to
// ical.js's own zones or to floating time). Exit status 1 on any failure; the
// last line is "N passed, M failed" (one per file).
import fs from "node:fs";
import path from "node:path";
import ICAL from "ical.js";

function files(args) {
  const found = [];
  for (const arg of args) {
    if (fs.statSync(arg).isDirectory()) {
      for (const name of fs.readdirSync(arg).sort()) {
        if (name.endsWith(".ics")) found.push(path.join(arg, name));
      }
    } else {
      found.push(arg);
    }
  }
  return found;
}

function utc(prop) {
  const time = prop.getFirstValue();
  const tzid = prop.getParameter("tzid");
  if (tzid) {
    const zone = time.zone;
    if (!zone || zone.tzid !== tzid || !zone.component) {
      throw new Error(`TZID ${tzid} is not defined by a VTIMEZONE in the file`);
    }
  } else if (!time.isDate && time.zone !== ICAL.Timezone.utcTimezone) {
    throw new Error(`${prop.name} is in floating time`);
  }
  return time.toJSDate().toISOString().replace(".000Z", "Z");
}

function check(file) {
  const problems = [];
  const expectedFile = file.replace(/\.ics$/, ".expected.json");
  if (!fs.existsSync(expectedFile)) {
    return [`no ${path.basename(expectedFile)} beside it`];
  }
  const expected = JSON.parse(fs.readFileSync(expectedFile, "utf8")).events;
  const root = new ICAL.Component(ICAL.parse(fs.readFileSync(file, "utf8")));
  const seen = new Set();
  for (const vevent of root.getAllSubcomponents("vevent")) {
    const uid = vevent.getFirstPropertyValue("uid");
    if (seen.has(uid)) problems.push(`${uid}: UID twice in the feed`);
    seen.add(uid);
    const want = expected[uid];
    if (!want) {
      problems.push(`${uid}: not expected`);
      continue;
    }
    for (const [name, key] of [["dtstart", "start"], ["dtend", "end"]]) {
      const prop = vevent.getFirstProperty(name);
      if (!prop) {
        problems.push(`${uid}: no ${name.toUpperCase()}`);
        continue;
      }
      try {
        const got = utc(prop);
        if (got !== want[key]) {
          problems.push(`${uid}: ${name.toUpperCase()} read as ${got}, meant ${want[key]}`);
        }
      } catch (error) {
        problems.push(`${uid}: ${error.message}`);
      }
    }
  }
  for (const uid of Object.keys(expected)) {
    if (!seen.has(uid)) problems.push(`${uid}: missing from the feed`);
  }
  return problems;
}

const targets = files(process.argv.slice(2));
if (targets.length === 0) {
  console.error("usage: node check.mjs FILE.ics|DIRECTORY ...");
  process.exit(2);
}
let passed = 0;
let failed = 0;
for (const file of targets) {
  let problems;
  try {
    problems = check(file);
  } catch (error) {
    problems = [`unreadable: ${error.message}`];
  }
  if (problems.length) {
    failed += 1;
    console.log(`FAIL ${file}`);
    for (const p of problems) console.log(`  ${p}`);
  } else {
    passed += 1;
    console.log(`ok   ${file}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
