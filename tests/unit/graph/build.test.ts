/**
 * The data builders' pure functions, on small made-up inputs (no ../shared needed).
 */
import oxigraph from 'oxigraph';
import { describe, expect, it } from 'vitest';
import {
  NATIONALITY_CODE_CURATION,
  buildParisCallFrom,
  checkCuration,
  isNatureArtefact,
  parseCall,
  parsePrinciples,
  parseSiteCountries,
  parseSupporters,
  resolveNationality,
  slugKey,
  type ParisCallInput,
  type StateContext,
} from '../../../src/graph/build/parisCall.js';
import {
  packageSourceKey,
  selectUnStates,
  stateRecord,
  statesIndex,
  type CountryInput,
} from '../../../src/graph/build/states.js';

function country(cca3: string, unMember: boolean, extra: Partial<CountryInput> = {}): CountryInput {
  return {
    cca2: cca3.slice(0, 2),
    cca3,
    ccn3: '001',
    unMember,
    name: { common: `Common ${cca3}`, official: `Official ${cca3}`, native: {} },
    altSpellings: [],
    translations: {},
    demonyms: {},
    ...extra,
  };
}

const SITE = parseSiteCountries(
  [
    'ISO-3166-1-alpha-3,official-fr,usual-fr,usual-en,article-fr',
    'FRA,République française,France,France,La',
    'ROM,République de Roumanie,Roumanie,Romania,La',
    'MTG,République du Monténégro,Monténégro,Montenegro,Le',
    'SCG,République de Serbie,Serbie,Serbia,La',
    'TWN,Taïwan,Taïwan,Taiwan,',
  ].join('\n'),
);

const CTX: StateContext = {
  stateCodes: new Set(['FRA', 'ROU', 'MNE', 'SRB']),
  isoCodes: new Set(['FRA', 'ROU', 'MNE', 'SRB', 'TWN']),
  englishNames: new Map([
    ['FRA', new Set(['france'])],
    ['ROU', new Set(['romania'])],
    ['MNE', new Set(['montenegro'])],
    ['SRB', new Set(['serbia'])],
  ]),
  englishLabel: new Map([
    ['FRA', 'France'],
    ['ROU', 'Romania'],
    ['MNE', 'Montenegro'],
    ['SRB', 'Serbia'],
  ]),
};

describe('selectUnStates', () => {
  const members = Array.from({ length: 5 }, (_, i) =>
    country(`M${String.fromCharCode(65 + i)}A`, true),
  );

  it('takes the flagged members, less the observer States, and reports a package that flags an observer as a member', () => {
    const all = [...members, country('VAT', true), country('PSE', false), country('TWN', false)];
    const result = selectUnStates(all, ['VAT', 'PSE'], 5);
    expect(result.members.map((c) => c.cca3)).toEqual(['MAA', 'MBA', 'MCA', 'MDA', 'MEA']);
    expect(result.observers.map((c) => c.cca3)).toEqual(['PSE', 'VAT']);
    expect(result.disagreements).toHaveLength(1);
    expect(result.disagreements[0]).toMatch(/^VAT .*unMember: true/);
  });

  it('refuses a member count other than the UN gives, and a missing observer', () => {
    expect(() => selectUnStates([...members, country('PSE', false)], ['PSE'], 193)).toThrow(
      /5 UN Member States/,
    );
    expect(() => selectUnStates(members, ['VAT'], 5)).toThrow(/VAT is missing/);
  });
});

describe('stateRecord', () => {
  it('takes one preferred label per language, and keeps other names as alternative labels', () => {
    const c = country('USA', true, {
      cca2: 'US',
      ccn3: '840',
      name: { common: 'United States', official: 'United States of America', native: {} },
      altSpellings: ['US', 'USA', 'United States of America'],
      translations: { fra: { common: 'États-Unis', official: "Les états-unis d'Amérique" } },
      demonyms: { eng: { f: 'American', m: 'American' }, fra: { f: 'Américaine', m: 'Américain' } },
    });
    const r = stateRecord(
      c,
      { en: ['United States of America', 'USA', 'US'], fr: ["États-Unis d'Amérique"] },
      false,
    );
    expect(r.prefLabels).toEqual([
      { value: 'United States', lang: 'en' },
      { value: "États-Unis d'Amérique", lang: 'fr' },
    ]);
    expect(r.altLabels).toEqual([
      { value: 'USA', lang: 'en' },
      { value: 'United States of America', lang: 'en' },
      { value: "Les états-unis d'Amérique", lang: 'fr' },
      { value: 'États-Unis', lang: 'fr' },
    ]);
    expect(r.demonyms).toEqual([
      { value: 'American', lang: 'en' },
      { value: 'Américain', lang: 'fr' },
      { value: 'Américaine', lang: 'fr' },
    ]);
    expect(r.m49).toBe('840');
  });

  it('keeps untagged alternative spellings, but never the bare alpha-2 code', () => {
    const c = country('FRA', true, { cca2: 'FR', altSpellings: ['FR', 'République française'] });
    expect(stateRecord(c, {}, false).altLabels).toContainEqual({ value: 'République française' });
    expect(stateRecord(c, {}, false).altLabels.map((l) => l.value)).not.toContain('FR');
  });

  it('rejects malformed codes', () => {
    expect(() => stateRecord(country('FRA', true, { ccn3: '4' }), {}, false)).toThrow(/M49/);
  });

  it('indexes English names for validating codes', () => {
    const r = stateRecord(
      country('ROU', true, {
        cca2: 'RO',
        name: { common: 'Romania', official: 'Romania', native: {} },
      }),
      {},
      false,
    );
    const index = statesIndex([r], new Set(['ROU']));
    expect(index.englishNames.get('ROU')?.has('romania')).toBe(true);
    expect(index.englishLabel.get('ROU')).toBe('Romania');
    expect(packageSourceKey('i18n-iso-countries')).toBe('npm-i18n-iso-countries');
  });
});

describe('nationality codes', () => {
  it('accepts the code of a State of the graph', () => {
    expect(resolveNationality('FRA', CTX, SITE)).toEqual({ status: 'state', state: 'FRA' });
  });

  it('maps the documented legacy and site codes by the curation table, never by guessing', () => {
    expect(resolveNationality('ROM', CTX, SITE)).toMatchObject({ status: 'curated', state: 'ROU' });
    expect(resolveNationality('MTG', CTX, SITE)).toMatchObject({ status: 'curated', state: 'MNE' });
    expect(resolveNationality('SCG', CTX, SITE)).toMatchObject({ status: 'curated', state: 'SRB' });
    expect(resolveNationality('XYZ', CTX, SITE)).toMatchObject({ status: 'unknown' });
    expect(resolveNationality('RUM', CTX, SITE)).toMatchObject({ status: 'unknown' });
  });

  it('reports missing codes and ISO codes of entities that are not States of the graph', () => {
    expect(resolveNationality('', CTX, SITE)).toMatchObject({ status: 'none' });
    expect(resolveNationality('---', CTX, SITE)).toMatchObject({ status: 'none' });
    expect(resolveNationality('TWN', CTX, SITE)).toMatchObject({ status: 'not-a-state' });
  });

  it('fails a curation decision that the site table no longer supports', () => {
    const wrongSite = parseSiteCountries(
      'ISO-3166-1-alpha-3,official-fr,usual-fr,usual-en\nROM,X,Y,Ruritania',
    );
    expect(() => resolveNationality('ROM', CTX, wrongSite)).toThrow(/does not match/);
    const rom = NATIONALITY_CODE_CURATION.find((d) => d.code === 'ROM');
    expect(rom).toBeDefined();
    if (rom !== undefined) {
      expect(() =>
        checkCuration(rom, { ...CTX, isoCodes: new Set([...CTX.isoCodes, 'ROM']) }, SITE),
      ).toThrow(/current ISO code/);
      expect(rom.reason).toMatch(/ROU on 1 February 2002/);
    }
  });

  it('recognises nature values that are extraction artefacts', () => {
    expect(isNatureArtefact('nationality: IRL')).toBe(true);
    expect(isNatureArtefact('Entreprise')).toBe(false);
  });

  it('turns site slugs into IRI keys', () => {
    expect(slugKey('aapti_institute-civil-society-IND')).toBe('aapti-institute-civil-society-IND');
    expect(() => slugKey('bad slug')).toThrow(/cannot be made an IRI key/);
  });
});

describe('parsing the source files', () => {
  it('reads supporters.csv, with quoted commas', () => {
    const rows = parseSupporters(
      'slug,name,category,nature,nationality\nx_y-civil-society-MEX,"Academia, A.C.",civil-society,Association,MEX\n',
    );
    expect(rows).toEqual([
      {
        slug: 'x_y-civil-society-MEX',
        name: 'Academia, A.C.',
        category: 'civil-society',
        nature: 'Association',
        nationality: 'MEX',
      },
    ]);
    expect(() =>
      parseSupporters('slug,name,category,nature,nationality\na,A,galaxy,,FRA\n'),
    ).toThrow(/unknown category/);
    expect(() =>
      parseSupporters('slug,name,category,nature,nationality\na,A,state,,FRA\na,B,state,,FRA\n'),
    ).toThrow(/duplicate/);
  });

  it('reads principles.yml and call.yml', () => {
    const principles = parsePrinciples(
      'title:\n  en: T\nprinciple-1:\n  short:\n    en: S1\n    fr: C1\n  full:\n    en: F1\n    fr: P1\nprinciple-2:\n  short:\n    en: S2\n    fr: C2\n  full:\n    en: F2\n    fr: P2\n',
    );
    expect(principles.map((p) => [p.number, p.shortEn, p.fullFr])).toEqual([
      [1, 'S1', 'P1'],
      [2, 'S2', 'P2'],
    ]);
    expect(() => parsePrinciples('principle-1:\n  short:\n    en: S1\n')).toThrow(/short\.fr/);
    expect(
      parseCall("title:\n  en: The Paris Call of the 12 November 2018\n  fr: L'Appel\n"),
    ).toEqual({
      titleEn: 'The Paris Call of the 12 November 2018',
      titleFr: "L'Appel",
    });
  });
});

describe('buildParisCallFrom', () => {
  const principles = Array.from({ length: 9 }, (_, i) => ({
    number: i + 1,
    shortEn: `Short ${i + 1}`,
    shortFr: `Court ${i + 1}`,
    fullEn: `Full "text" ${i + 1}`,
    fullFr: `Texte ${i + 1}`,
  }));
  const input = (supporters: ParisCallInput['supporters']): ParisCallInput => ({
    supporters,
    principles,
    call: {
      titleEn: 'The Paris Call of the 12 November 2018',
      titleFr: "L'Appel de Paris du 12 novembre 2018",
    },
    countries: SITE,
  });

  it('writes parseable TriG with supports, organisations and the report of unresolved codes', async () => {
    const { trig, report } = await buildParisCallFrom(
      input([
        {
          slug: 'france-state-FRA',
          name: 'France',
          category: 'state',
          nature: 'UE',
          nationality: 'FRA',
        },
        {
          slug: 'acme_sa-private-sector-ROM',
          name: 'Acme "SA"',
          category: 'private-sector',
          nature: 'Entreprise',
          nationality: 'ROM',
        },
        {
          slug: 'nro-civil-society-',
          name: 'NRO',
          category: 'civil-society',
          nature: 'nationality: FRA',
          nationality: '---',
        },
        { slug: 'tw-private-sector-TWN', name: 'TW', category: '', nature: '', nationality: 'TWN' },
      ]),
      CTX,
    );
    expect(report.supporters).toBe(4);
    expect(report.stateSupporters).toBe(1);
    expect(report.organizations).toBe(3);
    expect(report.curated).toEqual([expect.objectContaining({ code: 'ROM', iso: 'ROU', rows: 1 })]);
    expect(report.unresolved.map((u) => u.code)).toEqual(['---', 'TWN']);
    expect(report.unresolved.map((u) => u.slug)).toEqual([
      'nro-civil-society-',
      'tw-private-sector-TWN',
    ]);
    expect(report.missingCategory).toEqual(['tw-private-sector-TWN']);
    expect(report.natureArtefacts).toBe(1);
    expect(report.stateNaturesNotRecorded).toBe(1);

    const store = new oxigraph.Store();
    store.load(trig, { format: 'application/trig' });
    const ask = (q: string): boolean =>
      store.query(`PREFIX cdo: <https://w3id.org/cyber-diplomacy/ontology#> ${q}`, {
        use_default_graph_as_union: true,
      }) as boolean;
    expect(
      ask(
        'ASK { <https://w3id.org/cyber-diplomacy/id/support/paris-call-france-state-FRA> cdo:supporter <https://w3id.org/cyber-diplomacy/id/state/FRA> }',
      ),
    ).toBe(true);
    expect(
      ask(
        'ASK { <https://w3id.org/cyber-diplomacy/id/organization/acme-sa-private-sector-ROM> cdo:nationality <https://w3id.org/cyber-diplomacy/id/state/ROU> }',
      ),
    ).toBe(true);
    expect(
      ask(
        'ASK { <https://w3id.org/cyber-diplomacy/id/organization/acme-sa-private-sector-ROM> <http://www.w3.org/2000/01/rdf-schema#label> "Acme \\"SA\\""@en }',
      ),
    ).toBe(true);
    expect(
      ask(
        'ASK { <https://w3id.org/cyber-diplomacy/id/organization/nro-civil-society-> <https://schema.org/additionalType> ?t }',
      ),
    ).toBe(false);
    expect(ask('ASK { ?o cdo:nationality <https://w3id.org/cyber-diplomacy/id/state/TWN> }')).toBe(
      false,
    );
    expect(ask('ASK { ?p cdo:number 9 ; cdo:officialText "Full \\"text\\" 9"@en }')).toBe(true);
  });

  it('refuses a State supporter whose code cannot be resolved', async () => {
    await expect(
      buildParisCallFrom(
        input([
          { slug: 'x-state-XYZ', name: 'X', category: 'state', nature: '', nationality: 'XYZ' },
        ]),
        CTX,
      ),
    ).rejects.toThrow(/State supporter x-state-XYZ/);
  });

  it('refuses slugs that collide once made IRI keys', async () => {
    await expect(
      buildParisCallFrom(
        input([
          {
            slug: 'a_b-civil-society-FRA',
            name: 'A',
            category: 'civil-society',
            nature: '',
            nationality: 'FRA',
          },
          {
            slug: 'a-b-civil-society-FRA',
            name: 'B',
            category: 'civil-society',
            nature: '',
            nationality: 'FRA',
          },
        ]),
        CTX,
      ),
    ).rejects.toThrow(/same IRI key/);
  });
});
