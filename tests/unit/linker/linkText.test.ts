import { readFileSync } from 'node:fs';
import path from 'node:path';
import oxigraph from 'oxigraph';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../src/config.js';
import { findDataSources } from '../../../src/graph/files.js';
import { loadDataset } from '../../../src/graph/load.js';
import { Gazetteer } from '../../../src/linker/gazetteer.js';
import { linkText } from '../../../src/linker/linkText.js';
import { tokenize } from '../../../src/linker/tokenize.js';
import { REPO_ROOT } from '../../util/server.js';

const BASE = DEFAULTS.baseIri;
interface HardCase {
  text: string;
  note: string;
  mentions: Array<{ start: number; end: number; text: string; iri: string; kind: string }>;
}
const HARD_CASES = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'linker', 'hard-cases.json'), 'utf8'),
) as HardCase[];

let gazetteer: Gazetteer;
beforeAll(async () => {
  const loaded = await loadDataset(
    await findDataSources([path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')], BASE),
  );
  gazetteer = Gazetteer.fromStore(loaded.store, BASE);
});

describe('tokenize', () => {
  it('keeps dotted abbreviations whole and drops possessives', () => {
    const tokens = tokenize('The U.S. and Microsoft’s team');
    expect(tokens.map((t) => [t.raw, t.key])).toEqual([
      ['The', 'the'],
      ['U.S.', 'us'],
      ['and', 'and'],
      ['Microsoft', 'microsoft'],
      ['team', 'team'],
    ]);
  });

  it('folds accents and plurals so names and texts meet', () => {
    expect(tokenize('États-Unis CERTs').map((t) => t.key)).toEqual(['etat', 'unis', 'cert']);
  });
});

describe('linkText on the hard cases', () => {
  it.each(HARD_CASES.map((c) => [c.note, c] as const))('%s', (_note, c) => {
    const got = linkText(c.text, gazetteer).map((m) => ({
      start: m.start,
      end: m.end,
      text: m.text,
      iri: m.iri,
    }));
    expect(got).toEqual(c.mentions.map(({ start, end, text, iri }) => ({ start, end, text, iri })));
  });
});

describe('linkText', () => {
  it('reports offsets, surface text, kind, confidence and the rule', () => {
    const text = 'Under A/70/174, norm 13(k) protects response teams.';
    const [symbol, norm] = linkText(text, gazetteer);
    expect(symbol).toMatchObject({
      start: 6,
      end: 14,
      text: 'A/70/174',
      iri: `${BASE}id/document/A-70-174`,
      kind: 'document',
    });
    expect(norm).toMatchObject({ text: 'norm 13(k)', iri: `${BASE}id/norm/13k`, kind: 'norm' });
    for (const m of [symbol!, norm!]) {
      expect(text.slice(m.start, m.end)).toBe(m.text);
      expect(m.confidence).toBeGreaterThan(0.5);
      expect(m.rule).toMatch(/^name:/);
    }
  });

  it('resolves "the GGE" by the year of the text', () => {
    const in2021 = linkText('In 2021 the GGE adopted its report.', gazetteer)[0];
    expect(in2021?.iri).toBe(`${BASE}id/process/gge-2019-2021`);
    const in2013 = linkText('The GGE met in 2013.', gazetteer)[0];
    expect(in2013?.iri).toBe(`${BASE}id/process/gge-2012-2013`);
    const byDocument = linkText('The GGE met again.', gazetteer, { documentYear: 2015 })[0];
    expect(byDocument?.iri).toBe(`${BASE}id/process/gge-2014-2015`);
  });

  it('learns a new name from the data, with no code change', () => {
    const store = new oxigraph.Store();
    store.load(
      `@prefix cdo: <${BASE}ontology#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
       <${BASE}id/initiative/test> a cdo:Initiative ; skos:prefLabel "Example Accord"@en ; skos:altLabel "the Accord of Tests"@en .`,
      { format: 'text/turtle' },
    );
    const g = Gazetteer.fromStore(store, BASE);
    expect(
      linkText('Both the Example Accord and the Accord of Tests.', g).map((m) => m.text),
    ).toEqual(['Example Accord', 'Accord of Tests']);
  });

  it('links a norm named by a paraphrase of its label where the text prescribes the conduct', () => {
    const text =
      'The report asks states to set up routines for reporting technical vulnerabilities.';
    const [m] = linkText(text, gazetteer).filter((x) => x.kind === 'norm');
    expect(m).toMatchObject({
      text: 'reporting technical vulnerabilities',
      iri: `${BASE}id/norm/13j`,
    });
    expect(m!.rule).toMatch(/^norm-paraphrase/);
    expect(text.slice(m!.start, m!.end)).toBe(m!.text);
  });

  it('does not link a norm where the text describes conduct that happened', () => {
    const norms = linkText(
      'Last year hackers tried to harm critical infrastructure in several countries.',
      gazetteer,
    ).filter((x) => x.kind === 'norm');
    expect(norms).toEqual([]);
    const prescribed = linkText(
      'Under the 2015 norms, States committed not to harm critical infrastructure.',
      gazetteer,
    ).filter((x) => x.kind === 'norm');
    expect(prescribed.map((x) => x.iri)).toEqual([`${BASE}id/norm/13f`]);
  });

  it('does not link the series of GGEs to one round', () => {
    const text = 'The series of GGE dialogues that began in 2004 laid a foundation.';
    expect(linkText(text, gazetteer).filter((m) => m.kind === 'process')).toEqual([]);
  });

  it('takes a sector word modifying another sector word as one sector', () => {
    const got = linkText('Threats to energy transportation keep growing.', gazetteer);
    expect(got.map((m) => [m.text, m.iri])).toEqual([['energy', `${BASE}id/sector/energy`]]);
  });

  it('links an incident by its name without the year, and by its name plus an attack noun', () => {
    const got = linkText(
      'The Colonial Pipeline attack, the Kaseya ransomware attack and the SolarWinds compromise.',
      gazetteer,
    );
    expect(got.map((m) => [m.text, m.iri])).toEqual([
      ['Colonial Pipeline attack', `${BASE}id/incident/colonial-pipeline-2021`],
      ['Kaseya ransomware attack', `${BASE}id/incident/kaseya-2021`],
      ['SolarWinds compromise', `${BASE}id/incident/solarwinds-2020`],
    ]);
    // Without an attack noun, the name is not the incident.
    expect(linkText('Colonial Pipeline restarted.', gazetteer).map((m) => m.kind)).not.toContain(
      'incident',
    );
  });

  it('keeps a possessive that belongs to a name, and breaks a name at one that does not', () => {
    const [dprk] = linkText("The Democratic People's Republic of Korea denied it.", gazetteer);
    expect(dprk).toMatchObject({
      text: "Democratic People's Republic of Korea",
      iri: `${BASE}id/state/PRK`,
    });
    const parts = linkText('the UN’s Open-Ended Working Group met in 2021', gazetteer);
    expect(parts.map((m) => m.kind)).toEqual(['organization', 'process']);
  });

  it('links resolutions by number, rounds by ordinal or year, and names broken across lines', () => {
    const text =
      'General Assembly resolution 70/237 welcomed it; the sixth GGE and the 2015 Group of ' +
      'Governmental Experts followed the Pro-\ngramme of Action debate.';
    const got = linkText(text, gazetteer).map((m) => [m.text, m.iri.replace(`${BASE}id/`, '')]);
    expect(got).toEqual([
      ['General Assembly resolution 70/237', 'document/A-RES-70-237'],
      ['sixth GGE', 'process/gge-2019-2021'],
      ['2015 Group of Governmental Experts', 'process/gge-2014-2015'],
      ['Pro-\ngramme of Action', 'initiative/programme-of-action'],
    ]);
  });

  it('takes "hospitals" for the sector but not "a hospital", and one sector named twice as one', () => {
    expect(linkText('A hospital in Brno was hit.', gazetteer).map((m) => m.kind)).not.toContain(
      'sector',
    );
    const [m] = linkText('Attacks on hospitals and clinics rose.', gazetteer);
    expect(m).toMatchObject({ text: 'hospitals and clinics', iri: `${BASE}id/sector/healthcare` });
  });

  it('names from labels without their qualifier or legal suffix, and French group names', () => {
    const got = linkText(
      'The Health Service Executive, Colonial Pipeline and the Office for Disarmament Affairs; ' +
        'le Groupe de travail à composition non limitée.',
      gazetteer,
      { documentYear: 2022 },
    ).map((m) => m.iri.replace(`${BASE}id/`, ''));
    expect(got).toEqual([
      'organization/hse-ireland',
      'organization/colonial-pipeline',
      'organization/unoda',
      'process/oewg-2021-2025',
    ]);
  });

  it('tells a round from the series: year ranges, report years, plurals, "the last GGE"', () => {
    const short = (text: string, year: number) =>
      linkText(text, gazetteer, { documentYear: year })
        .filter((m) => m.kind === 'process')
        .map((m) => [m.text, m.iri.replace(`${BASE}id/`, '')]);
    expect(short('The report of the 2012/13 Group of Governmental Experts.', 2014)).toEqual([
      ['2012/13 Group of Governmental Experts', 'process/gge-2012-2013'],
    ]);
    // In 2022 two OEWGs include 2021; the one that reported in 2021 is meant.
    expect(short('States recalled the consensus report of the 2021 OEWG.', 2022)).toEqual([
      ['2021 OEWG', 'process/oewg-2019-2021'],
    ]);
    expect(short('The 2013, 2015 and 2021 GGEs agreed on it.', 2022)).toEqual([
      ['2021 GGEs', 'process/gge-2019-2021'],
    ]);
    expect(
      short('There have been three Groups of Governmental Experts (GGE) so far.', 2014),
    ).toEqual([]);
    expect(short('In 2011 the Assembly called for a follow-up to the last GGE.', 2011)).toEqual([
      ['last GGE', 'process/gge-2009-2010'],
    ]);
    // The OEWG that had reported by 2022: its report.
    expect(
      linkText('States are guided by the OEWG report.', gazetteer, { documentYear: 2022 }).map(
        (m) => m.iri.replace(`${BASE}id/`, ''),
      ),
    ).toEqual(['document/A-75-816']);
    expect(
      short(
        '² Report of the Group of Governmental Experts on Developments in the Field of ' +
          'Information and Telecommunications, UN Doc. A/70/174 (22 July 2015).',
        2022,
      ),
    ).toEqual([['Group of Governmental Experts', 'process/gge-2014-2015']]);
  });

  it('keeps norms, sectors and names to what the text says', () => {
    const iris = (text: string) =>
      linkText(text, gazetteer, { documentYear: 2022 }).map((m) => [
        m.text,
        m.iri.replace(`${BASE}id/`, ''),
      ]);
    expect(iris('Norms only matter if they are implemented.')).toEqual([]);
    expect(iris('Norm 13(k), the CERT norm, protects emergency response teams.')).toEqual([
      ['Norm 13(k)', 'norm/13k'],
      ['CERT norm', 'norm/13k'],
    ]);
    expect(iris('We support norm 13(g) on protecting one’s own critical infrastructure.')).toEqual([
      ['norm 13(g)', 'norm/13g'],
    ]);
    expect(
      iris('The GGE report encourages the responsible reporting of ICT vulnerabilities.').at(-1),
    ).toEqual(['responsible reporting of ICT vulnerabilities', 'norm/13j']);
    expect(iris('Ransomware hit Costa Rica’s Ministry of Finance.').map((m) => m[1])).not.toContain(
      'sector/finance',
    );
    expect(iris('It took down part of a power grid.')).toEqual([]);
    expect(iris('Attacks hit government, banking and media websites.')).toEqual([
      ['banking', 'sector/finance'],
    ]);
    expect(iris('Attacks targeted hospitals and health care organizations.')).toEqual([
      ['hospitals', 'sector/healthcare'],
      ['health care', 'sector/healthcare'],
    ]);
    expect(iris('The Conti group claimed it; the Olympic Destroyer attack followed.')).toEqual([
      ['Conti group', 'actor/conti'],
      ['Olympic Destroyer attack', 'incident/olympic-destroyer-2018'],
    ]);
    expect(iris('Ireland’s Health Service Executive (HSE) switched off its systems.')).toEqual([
      ['Ireland', 'state/IRL'],
      ['Health Service Executive', 'organization/hse-ireland'],
      ['HSE', 'organization/hse-ireland'],
    ]);
    expect(iris('the consensus reports 2A/75/816 and 3A/70/174.').map((m) => m[0])).toEqual([
      'A/75/816',
      'A/70/174',
    ]);
  });

  it('links every norm of a list that a norm number opens, and French letters', () => {
    const norms = (text: string) =>
      linkText(text, gazetteer)
        .filter((m) => m.kind === 'norm')
        .map((m) => [m.text, m.iri.replace(`${BASE}id/norm/`, '')]);
    expect(norms('States reaffirmed norms 13(f), (g) and (h) of the 2015 report.')).toEqual([
      ['norms 13(f)', '13f'],
      ['(g)', '13g'],
      ['(h)', '13h'],
    ]);
    expect(norms('la norme f) et la norme 13 h)')).toEqual([
      ['norme f)', '13f'],
      ['norme 13 h)', '13h'],
    ]);
    expect(norms('la norme sur la protection des infrastructures critiques')).toEqual([
      ['norme sur la protection des infrastructures critiques', '13f'],
    ]);
    expect(norms('Norm 13(c), and a new idea.')).toEqual([['Norm 13(c)', '13c']]);
    expect(norms('norm 13f; norms f and h.')).toEqual([
      ['norm 13f', '13f'],
      ['norms f', '13f'],
      ['h', '13h'],
    ]);
    expect(norms('norm f and a second point')).toEqual([['norm f', '13f']]);
  });

  it('links a norm quoted in its official words, and keeps a bracket out of other names', () => {
    const norms = (text: string) =>
      linkText(text, gazetteer, { documentYear: 2018 })
        .filter((m) => m.kind === 'norm')
        .map((m) => [m.text, m.iri.replace(`${BASE}id/norm/`, '')]);
    expect(
      norms(
        'The 2015 report agreed that States should not conduct or knowingly support ICT activity ' +
          'that intentionally damages critical infrastructure (norm 13(f)), and should take ' +
          'reasonable steps to ensure the integrity of the supply chain.',
      ),
    ).toEqual([
      [
        'not conduct or knowingly support ICT activity that intentionally damages critical infrastructure',
        '13f',
      ],
      ['norm 13(f)', '13f'],
      ['take reasonable steps to ensure the integrity of the supply chain', '13i'],
    ]);
    // The clause ends at a comma: what follows explains it.
    expect(
      norms('Norm 13(b) asks States to consider all relevant information, including the context.'),
    ).toEqual([
      ['Norm 13(b)', '13b'],
      ['consider all relevant information', '13b'],
    ]);
    expect(norms('what the war tells us about the critical infrastructure norms')).toEqual([]);
  });

  it('reads State-scoped names, French demonyms, lists of resolutions and a report by its symbol', () => {
    const got = (text: string, year = 2022) =>
      linkText(text, gazetteer, { documentYear: year }).map((m) => [
        m.text,
        m.iri.replace(`${BASE}id/`, ''),
      ]);
    expect(got('Ransomware paralysed Costa Rica’s Ministry of Finance.')).toEqual([
      ['Costa Rica', 'state/CRI'],
      ['Ministry of Finance', 'organization/costa-rica-ministry-of-finance'],
    ]);
    expect(got('The Ministry of Finance of Ukraine and Ukraine’s Ministry of Finance.')).toEqual([
      ['Ukraine', 'state/UKR'],
      ['Ukraine', 'state/UKR'],
    ]);
    expect(got('le Gouvernement français et l’OMS ; les hackers français', 2020)).toEqual([
      ['Gouvernement français', 'state/FRA'],
      ['OMS', 'organization/who'],
    ]);
    expect(got('Two resolutions: 73/27 creates an OEWG; 73/266 creates a GGE.', 2018)).toEqual([
      ['73/27', 'document/A-RES-73-27'],
      ['OEWG', 'process/oewg-2019-2021'],
      ['73/266', 'document/A-RES-73-266'],
      ['GGE', 'process/gge-2019-2021'],
    ]);
    expect(got('see also the 2021 report (UN Doc. A/76/135).')).toEqual([
      ['2021 report', 'document/A-76-135'],
      ['UN', 'organization/united-nations'],
      ['A/76/135', 'document/A-76-135'],
    ]);
    expect(got('United States v. Andrienko et al.').map((m) => m[1])).toEqual([]);
    expect(
      got('operators in the communications, energy and water sectors').map((m) => m[0]),
    ).toEqual(['communications', 'energy', 'water']);
    expect(got('information and communications technologies').map((m) => m[1])).toEqual([]);
    expect(got('the attacks on Ukraine’s power grid').map((m) => m[1])).toEqual(['state/UKR']);
    expect(got('Le rapport de 2015 du GEG.', 2020)[0]).toEqual([
      'rapport de 2015',
      'document/A-70-174',
    ]);
    expect(got('the Department of Homeland Security').map((m) => m[1])).toEqual([
      'organization/us-dhs',
    ]);
  });
});
