-- Issue 16: the centre presses a handling unit by hand. An urge (催办) is a notice to the
-- unit, recorded on the case's timeline; one per case and working day, which the unique key
-- holds even when two operators press at once. A listing (挂牌督办) puts a case under the
-- centre's named supervision with a reason and a deadline (a `YYYY-MM-DD` day; `due_at` is
-- its last millisecond in the district's zone, for the workbench's "due" column).
CREATE TABLE cases_urges (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases_cases (id),
    work_day TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    urged_by BIGINT,
    urged_at BIGINT NOT NULL,
    UNIQUE (case_id, work_day)
);
CREATE TABLE cases_listings (
    case_id BIGINT PRIMARY KEY REFERENCES cases_cases (id),
    reason TEXT NOT NULL,
    due_on TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    listed_by BIGINT,
    listed_at BIGINT NOT NULL
);
