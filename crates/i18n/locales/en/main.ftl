# Glassroom — English

## Rules
rule-room_not_designated = The room is not a designated recorded meeting room (an office never is).
rule-room_not_equipped = The room lacks a working camera and audio input{ $inputs ->
    [none] .
   *[other] : inputs { $inputs } are not working.
}
rule-commission_quorum = Too few commission members: { $required } required, { $actual } assigned (the host does not count).
rule-commission_conflict = The commission includes the host or people with a declared conflict of interest: { $people }.
rule-outside_working_hours = The meeting falls outside the organisation's working time: { $times }.
rule-tender_winner_outside_working_hours = A meeting with a tender winner (contract { $contract }) outside working hours is prohibited: { $times }.
rule-room_busy = The room is booked at that time: meeting { $meetings }.
rule-participant_busy = Participants are booked in another meeting at that time: { $people }.
rule-quorum_not_present = The commission quorum has not checked in: { $required } required, { $actual } present.
rule-recording_not_active = Not every camera and microphone of the room is recording{ $inputs ->
    [none] .
   *[other] : { $inputs }.
}
rule-recording_gap = Recording coverage of the meeting interval is below the threshold: { $coverage }.
rule-overran_working_hours = The meeting actually ran outside working time: { $times }.
rule-unregistered_contact = A business visitor entered the building with no registered meeting.
rule-unreliable_supplier = The business is in the register of unreliable procurement suppliers ({ $registry }) since { $since }.

severity-absolute = absolute
severity-blocking = blocking
severity-warning = warning
severity-violation = violation

## API errors
problem-unauthenticated = Sign-in required
problem-forbidden = Not allowed
problem-not_found = Not found
problem-invalid = Invalid input
problem-invalid_transition = The meeting cannot make this transition
problem-refused = Refused by the rules
problem-conflict = Concurrent change, please retry
problem-unavailable = Storage is temporarily unavailable
problem-internal = Internal server error
problem-method_not_allowed = Method not allowed
problem-payload_too_large = Request too large

## Field errors
field-required = “{ $field }” is required.
field-expired = This access has expired: state the purpose again.
field-too_short = Too short: please say more.
field-invalid_cosignature = The witness cosignature is invalid or the witness is not known to this log.
field-too_long = “{ $field }” is too long.
field-invalid_kind = “{ $field }” has a kind that is not allowed.
field-invalid_bin = Invalid BIN: 12 digits with a valid check digit are required.
field-invalid_iin = Invalid IIN: 12 digits with a valid check digit are required.
field-end_before_start = The end must be after the start.
field-in_past = That time has already passed.
field-unknown_organisation = No such organisation.
field-unknown_business = No business with this BIN is registered.
field-unknown_person = No such person.
field-unknown_room = No such room.
field-host_not_official = The host must be an official of the organisation.
field-not_commission_member = This person is not a commission member for the organisation.
field-override_requires_compliance = Only a compliance officer of the organisation can override a rule.
field-unknown_rule = Unknown rule.
field-justification_too_short = A written justification of at least 20 characters is required.
field-check_in_too_early = Check-in opens one hour before the meeting.
field-too_early = A no-show can be recorded only after the planned start.
field-protocol_signed = The protocol has been signed and can no longer be changed.
field-protocol_missing = The protocol has not been written yet.
field-not_present = Only commission members who were present sign the protocol.
field-protocol_not_signed = Not every commission member present has signed the protocol.
field-out_of_range = The value is out of range.
field-invalid_status = Unknown status.
field-invalid_cursor = Invalid page cursor.
field-syntax = Syntax error.
field-unsupported_format = Unsupported file format.
field-duplicate = Duplicate value.
field-invalid_time_zone = Unknown time zone.
field-invalid_hours = Invalid working hours.
field-invalid_date = Invalid date (YYYY-MM-DD expected).
field-invalid_policy = Invalid rule setting.
field-invalid_role = Unknown role.
field-invalid_login = Invalid login.
field-not_ground_floor = A designated meeting room must be on the ground floor.
field-invalid_url = Invalid source URL.
field-no_media = An input carries video, audio or both.
field-invalid_state = Unknown input state.
field-unsupported_version = Unsupported file version.
field-cycle = An organisation cannot be its own ancestor.
field-account_disabled = The account is disabled.
field-login_taken = The login is taken.
field-missing_offset = The time must carry a UTC offset (for example 2026-03-20T10:00:00+05:00).
field-invalid_timestamp = Invalid date and time.
field-invalid_json = Invalid JSON.
field-unknown_field = Unknown field.
field-invalid_type = Wrong type of value.
field-missing_field = A required field is missing.

## Meeting statuses
status-requested = requested
status-scheduled = scheduled
status-in_progress = in progress
status-completed = completed
status-published = published
status-rejected = rejected
status-cancelled = cancelled
status-no_show = no-show
