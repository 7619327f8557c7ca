"""Every UI text key the code uses, with the placeholders the code fills in.

The content loader checks ``content/texts/<lang>.yaml`` against this table: every key must
be present, a text may only use the placeholders listed for it, and the ones marked
required must appear (the clinic's phone in the pain advice, for example).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TextSpec:
    placeholders: frozenset[str] = field(default_factory=frozenset)
    required: frozenset[str] = field(default_factory=frozenset)
    is_button: bool = False


def _t(*placeholders: str, required: tuple[str, ...] = ()) -> TextSpec:
    return TextSpec(frozenset(placeholders) | frozenset(required), frozenset(required))


def _b(*placeholders: str) -> TextSpec:
    return TextSpec(frozenset(placeholders), frozenset(), is_button=True)


CLINIC = (
    "clinic_name",
    "clinic_credentials",
    "clinic_address",
    "clinic_phone",
    "clinic_hours",
    "clinic_website",
)

TEXTS: dict[str, TextSpec] = {
    # --- onboarding and general -------------------------------------------------------
    "welcome_new": _t("clinic_name", required=("clinic_name",)),
    "consent_prompt": _t(),
    "btn_agree": _b(),
    "btn_decline": _b(),
    "declined": _t(),
    "program_chosen": _t("program_title", required=("program_title",)),
    "btn_start_now": _b(),
    "btn_later": _b(),
    "later_ok": _t(),
    "welcome_back": _t("program_title"),
    "help": _t(*CLINIC),
    "unknown_command": _t(),
    "private_only": _t(),
    "error_generic": _t(),
    "expect_button": _t(),
    "consent_needed": _t(),
    # --- the clinic's contact block, appended to advice -------------------------------
    "clinic_contact": _t(*CLINIC, required=("clinic_name", "clinic_phone")),
    # --- advice (safety) --------------------------------------------------------------
    "advice_before_start": _t(),
    "advice_pain": _t(*CLINIC, required=("clinic_phone",)),
    "advice_sore": _t(),
    "advice_stretch_walk": _t(),
    "advice_sore_persisting": _t(*CLINIC, required=("clinic_phone",)),
    # --- the guided session -----------------------------------------------------------
    "session_intro": _t("program_title", "exercise_list", "minutes", required=("exercise_list",)),
    "btn_begin": _b(),
    "btn_not_now": _b(),
    "step_header": _t(
        "exercise_number",
        "exercise_count",
        "step_number",
        "step_count",
        required=("exercise_number", "exercise_count", "step_number", "step_count"),
    ),
    "setup_step_title": _t(),
    "dose_line": _t("dose", required=("dose",)),
    "btn_next": _b(),
    "btn_done": _b(),
    "btn_back": _b(),
    "btn_alternative": _b(),
    "btn_skip": _b(),
    "btn_hurts": _b(),
    "btn_start_timer": _b("seconds"),
    "btn_next_set": _b("set_number"),
    "btn_stop_timer": _b(),
    "timer_ready": _t("seconds", "set_number", "set_count"),
    "timer_running": _t("seconds", "set_number", "set_count", required=("seconds",)),
    "timer_set_done": _t("set_number", "set_count", required=("set_number",)),
    "timer_all_done": _t("set_count"),
    "feeling_question": _t(),
    "btn_feel_fine": _b(),
    "btn_feel_sore": _b(),
    "btn_feel_pain": _b(),
    "pain_which": _t(),
    "btn_not_sure": _b(),
    "well_done": _t(),
    "session_not_started": _t(),
    "session_cancelled": _t(),
    "no_open_session": _t(),
    "session_open_choice": _t(),
    "btn_continue": _b(),
    "btn_restart": _b(),
    "toast_stale": _t(),
    "toast_invalid": _t(),
    "toast_not_yours": _t(),
    "toast_session_over": _t(),
    "toast_timer_started": _t(),
    # --- reminders: settings ------------------------------------------------------------
    "days_short": _t(),  # seven names, Monday first, separated by spaces
    "months_short": _t(),  # twelve names, January first, separated by spaces
    "every_day": _t(),
    "weekdays_label": _t(),
    "settings_days": _t(),
    "btn_every_day": _b(),
    "btn_weekdays": _b(),
    "btn_days_done": _b(),
    "toast_days_needed": _t(),
    "settings_time": _t("days", required=("days",)),
    "btn_other_time": _b(),
    "ask_time": _t(),
    "time_invalid": _t(),
    "settings_zone": _t(),
    "btn_other_zone": _b(),
    "btn_keep_zone": _b("zone"),
    "ask_zone": _t(),
    "zone_invalid": _t(),
    "zone_location_failed": _t(),
    "settings_saved": _t("days", "time", "zone", "next", required=("days", "time", "zone", "next")),
    "btn_set_reminders": _b(),
    "settings_saved_on_hold": _t("days", "time", "zone", required=("days", "time", "zone")),
    "btn_nudge_setting": _b(),
    "nudge_question": _t(),
    "btn_nudge_off": _b(),
    "btn_nudge_hours": _b(),
    "btn_nudge_hour": _b(),
    "nudge_on": _t("hours", required=("hours",)),
    "nudge_off": _t(),
    "settings_offer": _t(),
    # --- reminders: the reminder and its buttons --------------------------------------
    "reminder": _t("minutes"),
    "reminder_late": _t(),
    "nudge": _t(),
    "btn_rem_start": _b(),
    "btn_snooze": _b(),
    "btn_skip_today": _b(),
    "snooze_choose": _t(),
    "btn_snooze_minutes": _b("minutes"),
    "btn_snooze_hour": _b(),
    "snoozed": _t("time", required=("time",)),
    "toast_snooze_limit": _t(),
    "skipped_today": _t(),
    "next_reminder": _t("when", required=("when",)),
    "no_reminders": _t(),
    "pause_choose": _t(),
    "btn_pause_day": _b(),
    "btn_pause_days": _b("days"),
    "btn_pause_week": _b(),
    "btn_pause_open": _b(),
    "paused_until": _t("when", required=("when",)),
    "paused_open": _t(),
    "resumed": _t("when", required=("when",)),
    "not_paused": _t(),
    "stop_confirm": _t(),
    "btn_stop_yes": _b(),
    "btn_stop_no": _b(),
    "stopped": _t(),
    "stop_kept": _t(),
    # --- safety follow-through ------------------------------------------------------------
    "hold_notice": _t(),
    "on_hold": _t(),
    "btn_cleared": _b(),
    "cleared_question": _t("exercise_title"),
    "btn_resume_all": _b(),
    "btn_resume_without": _b("exercise_title"),
    "btn_resume_without_keep_alt": _b("alternative_title"),
    "btn_not_yet": _b(),
    "not_yet": _t(),
    "resumed_all": _t(),
    "resumed_without": _t("exercise_title", required=("exercise_title",)),
    "session_intro_held": _t("held_list", required=("held_list",)),
    "checkin_question": _t(),
    "btn_checkin_better": _b(),
    "btn_checkin_same": _b(),
    "btn_checkin_worse": _b(),
    "checkin_better": _t(),
    "sore_followup_question": _t(),
    "btn_sore_gone": _b(),
    "btn_sore_still": _b(),
    "sore_gone": _t(),
    "sore_followup_scheduled": _t(),
    "warning_question": _t("signs", required=("signs",)),
    "btn_warning_yes": _b(),
    "btn_warning_no": _b(),
    "advice_urgent": _t("emergency_number", required=("emergency_number",)),
    "warning_none": _t(),
    "alerts_question": _t("clinic_name"),
    "btn_alerts_yes": _b(),
    "btn_alerts_no": _b(),
    "alerts_on": _t(),
    "alerts_off": _t(),
    "alert_pain": _t("code", "exercise", "step", "when", required=("code", "when")),
    "alert_warning": _t("code", "answer", "when", required=("code", "answer", "when")),
    "alert_removed": _t(),
    "staff_patient": _t("code", "status", "since", "sessions", "reports", required=("code",)),
    "staff_no_patient": _t("code"),
    "staff_usage": _t(),
    "btn_staff_clear": _b(),
    "staff_cleared": _t("code", required=("code",)),
    "cleared_by_clinic": _t(),
    "history": _t("days", required=("days",)),
    "history_empty": _t(),
    # --- your data (/mydata, /forget) -------------------------------------------------
    "mydata_intro": _t(),
    "mydata_none": _t(),
    "forget_confirm": _t(),
    "btn_forget_yes": _b(),
    "btn_forget_no": _b(),
    "forgotten": _t(),
    "forget_kept": _t(),
}
