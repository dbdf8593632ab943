// Uses the types openapi-typescript generates from ../../openapi.yaml the way an integrator
// would. Nothing here runs: `tsc --noEmit` compiling it is the check
// (tests/api/test_typescript_types.py). A renamed field, a changed enum value or a header
// that stops being required makes it fail.
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];

const API = "https://poverty.example.vn";
const TOKEN = "pvk_example";

function headers(extra: Record<string, string> = {}): Headers {
  return new Headers({ Authorization: `Token ${TOKEN}`, Accept: "application/json", ...extra });
}

// ---- POST /api/v1/households/: a household with two members --------------------------------

type HouseholdsCreate = paths["/api/v1/households/"]["post"];
type HouseholdCreateBody = HouseholdsCreate["requestBody"]["content"]["application/json"];
type HouseholdCreated = HouseholdsCreate["responses"][201]["content"]["application/json"];

const household: HouseholdCreateBody = {
  commune: "07192",
  address: "Thôn 3",
  phone: "0912345678",
  members: [
    {
      full_name: "Nguyễn Văn An",
      date_of_birth: "1980-04-12",
      sex: "male",
      ethnicity: "01",
      relationship: "head",
      citizen_id: "022080001234",
    },
    {
      full_name: "Trần Thị Bình",
      date_of_birth: "1983-09-30",
      sex: "female",
      ethnicity: "01",
      relationship: "spouse",
    },
  ],
};

async function createHousehold(): Promise<HouseholdCreated | Problem> {
  const r = await fetch(`${API}/api/v1/households/`, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() }),
    body: JSON.stringify(household),
  });
  return r.ok ? ((await r.json()) as HouseholdCreated) : problem(r);
}

// ---- POST /api/v1/surveys/: the household's survey, one fact set per member -----------------

type SurveyBody = paths["/api/v1/surveys/"]["post"]["requestBody"]["content"]["application/json"];
type SurveyCreated = paths["/api/v1/surveys/"]["post"]["responses"][201]["content"]["application/json"];

function surveyOf(h: HouseholdCreated): SurveyBody {
  const [head, spouse] = h.members;
  if (!head || !spouse) throw new Error("two members expected");
  return {
    household: h.id,
    survey_date: "2026-03-15",
    form: "b2",
    income_wages: 36_000_000,
    income_agriculture: 12_000_000,
    wall_material: "brick_stone",
    frame_material: "concrete",
    roof_material: "metal_sheet",
    floor_area_m2: "42.5", // a decimal, as a string
    water_source: "tap",
    latrine: "septic",
    uses_internet: true,
    devices: ["smartphone", "tv"],
    waste_treatment: "collected",
    members: [
      {
        member: head.id,
        has_health_insurance: true,
        employment: "self_employed",
        receives_social_allowance: false,
        education_level: null, // not known: never counted as a deprivation
      },
      { member: spouse.id, has_health_insurance: null, employment: "wage_contract" },
    ],
  };
}

async function submitSurvey(h: HouseholdCreated): Promise<SurveyCreated | Problem> {
  const r = await fetch(`${API}/api/v1/surveys/`, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() }),
    body: JSON.stringify(surveyOf(h)),
  });
  // the survey is assessed under every standard in force on its date
  return r.ok ? ((await r.json()) as SurveyCreated) : problem(r);
}

// ---- GET /api/v1/assessments/{id}/: the decision and why -------------------------------------

type AssessmentGet = paths["/api/v1/assessments/{id}/"]["get"];
type AssessmentDetail = AssessmentGet["responses"][200]["content"]["application/json"];

async function assessment(id: AssessmentGet["parameters"]["path"]["id"]): Promise<AssessmentDetail | Problem> {
  const r = await fetch(`${API}/api/v1/assessments/${id}/`, { headers: headers() });
  return r.ok ? ((await r.json()) as AssessmentDetail) : problem(r);
}

function explain(a: AssessmentDetail, lang: "vi" | "en"): string[] {
  const summary = (lang === "vi" ? a.explanation_vi : a.explanation_en) ?? "(hidden for your role)";
  const reasons = a.indicators
    .filter((i) => i.deprived)
    .map((i) => `${i.code}: ${lang === "vi" ? i.reason_vi : i.reason_en}`);
  const income =
    a.income_per_person_month === null ? "income hidden" : `${a.income_per_person_month} of ${a.line} VND`;
  const poor = a.classification === "poor" || a.classification === "near_poor";
  return [`${a.standard_code} ${a.classification}${poor ? " (support)" : ""}`, summary, income, ...reasons];
}

// ---- Errors: application/problem+json ----------------------------------------------------------

type HouseholdProblem = HouseholdsCreate["responses"][400]["content"]["application/problem+json"];
type StepConflict =
  paths["/api/v1/assessments/{id}/approve/"]["post"]["responses"][409]["content"]["application/problem+json"];

async function problem(r: Response): Promise<Problem> {
  return (await r.json()) as Problem;
}

function describe(p: HouseholdProblem | StepConflict): string {
  const fields = (p.errors ?? []).map((e) => `${e.field} (${e.code}): ${e.reason}`);
  const allowed = p.allowed?.length ? [`steps allowed now: ${p.allowed.join(", ")}`] : [];
  return [`${p.status} ${p.code}: ${p.detail}`, ...fields, ...allowed].join("\n");
}

// ---- POST /api/v1/assignments/{id}/disburse/: a step based on a version (If-Match) -----------

type Disburse = paths["/api/v1/assignments/{id}/disburse/"]["post"];
type DisburseParams = Disburse["parameters"];
type Disbursed = Disburse["responses"][201]["content"]["application/json"];
type PreconditionFailed = Disburse["responses"][412]["content"]["application/problem+json"];

const etag = (version: number): DisburseParams["header"]["If-Match"] => `"${version}"`;

// @ts-expect-error If-Match is required on a step that names a version
const withoutIfMatch: DisburseParams["header"] = {};

async function disburse(
  assignment: Schemas["Assignment"],
  body: Disburse["requestBody"]["content"]["application/json"],
): Promise<Disbursed | PreconditionFailed | Problem> {
  const params: DisburseParams = {
    path: { id: assignment.id },
    header: { "If-Match": etag(assignment.version), "Idempotency-Key": crypto.randomUUID() },
  };
  const r = await fetch(`${API}/api/v1/assignments/${params.path.id}/disburse/`, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", ...params.header }),
    body: JSON.stringify(body),
  });
  if (r.ok) {
    const d = (await r.json()) as Disbursed;
    // the assignment's next step is based on this version
    console.log(`next If-Match: ${etag(d.assignment_version)}`);
    return d;
  }
  return problem(r);
}

export { assessment, createHousehold, describe, disburse, explain, submitSurvey, withoutIfMatch };
