//! Human names for grammar rules, used in "expected ..." messages.
//!
//! The match in [`rule_name`] is exhaustive with no `_` arm: adding a rule to the grammar without
//! deciding how it reads in an error message does not compile. Rust rule names never reach users.

use super::grammar::Rule;

/// How a rule reads in "expected ..." lists. `None`: never mentioned (entry rules, recovery).
pub fn rule_name(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    let name = match rule {
        EOI => "end of line",
        // An entry rule is reported when nothing at all matched at its start.
        chunk => "an item (`journey`, `message`, `segment`, `import`, ...)",
        // Parsed only after the scanner found them well formed; never in a message.
        journey_head | journey_body | journey_tail => return None,
        profile_field_line => "a field (`first_name: text?`)",
        policy_rule_line => "a policy rule (`quiet_hours`, `frequency`, `business_hours`, `jurisdiction`)",
        channel_rule_line => "a channel rule (`medium`, `window`, `tag`, `limit`, `supports`, ...)",
        element_line => "a message element (`text`, `reply`, `template`, ...)",
        list_part_line | list_part | list_text | list_slot => "a part of a list (`row`, `section`, `header`, `footer`)",
        row_line | row_el => "a row (`row \"Title\" -> outcome`)",
        list_block | row_block => "`{`",
        param_line => "a template parameter (`order = event.order_id`)",
        member_line => "`stage` or a journey setting (`audience`, `entry on`, `exit on`, `goal`, `reentry`)",
        step_line => "a step (`send`, `ask`, `wait`, `if`, `goto`, ...)",
        template_part_line | template_part | template_lang | template_text | template_slot => {
            "a template part (`lang`, `header`, `body`, `footer`)"
        }
        template_block => "`{`",
        arm_line => "an outcome (`timeout => exit`)",
        bad_line | bad_entry => return None,
        // Silent helper rules never reach an error message.
        WHITESPACE | comment | sep | line_break | eol | eol_list | end_stmt | step_kind | bad_group | bad_string
        | bad_interp | item | atom | operand | journey_entry | block_step | else_link | operation | prefixed
        | more_args | condition | arg | name_start => return None,

        lbrace | step_block | element_block | arm_block | param_block | field_list => "`{`",
        rbrace => "`}`",
        lparen => "`(`",
        rparen => "`)`",
        lbracket => "`[`",
        rbracket => "`]`",
        langle => "`<`",
        rangle => "`>`",
        equals => "`=`",
        colon => "`:`",
        dotdot => "`..`",
        comma => "`,`",
        arrow => "`=>`",
        fallback_op => "`??`",
        optional => "`?`",

        ident => "a name",
        message_ref => "a message name",
        stage_ref => "a stage name",
        event_ref => "an event name",
        channel_ref => "a channel name (`sms`, `email`, ...)",
        category_ref => "a category (`marketing`, `utility`, ...)",
        outcome_ref => "an outcome name",
        duration => "a duration (`30m`, `2d`, ...)",
        integer => "a whole number",
        number => "a number",
        currency => "a currency code (`USD`, `EUR`, ...)",
        percent => "a share (`50%`)",
        time => "a time of day (`09:00`)",
        time_range => "a time range (`21:00..08:00`)",
        quiet_period => "quiet hours (`21:00..08:00`, or by day: `sun 21:00..12:00`)",
        business_period => "business hours (`mon..fri 09:00..18:00`)",
        string => "a string in double quotes",
        string_text | escape => "string text",
        interpolation => "an interpolation (`{first_name}`)",
        fallback => "a fallback value",
        weekday | day_specs | day_spec => "a weekday (`mon`, `tue`, ...)",
        zone => "a time zone (`recipient`, `\"Europe/Berlin\"`, ...)",
        media_kind => "a media kind (`image`, `video`, `audio`, `file`)",
        ident_list => "a list of names",

        import | profile | event_decl | segment | policy | channel | message | template_decl | journey => {
            "an item (`journey`, `message`, `segment`, `import`, ...)"
        }
        field_decl => "a field (`first_name: text?`)",
        type_expr | type_name | set_type | list_type | enum_type => "a type (`text`, `money`, `set<text>`, ...)",
        policy_rule | quiet_hours | frequency | business_hours | jurisdiction => {
            "a policy rule (`quiet_hours`, `frequency`, `business_hours`, `jurisdiction`)"
        }
        channel_rule | window_rule | tag_rule | limit_rule | supports_rule | template_rule | keywords_rule
        | encoding_rule | consent_rule | medium_rule => {
            "a channel rule (`medium`, `window`, `tag`, `limit`, `supports`, ...)"
        }
        element | text_el | subject_el | title_el | subtitle_el | reply_el | button_el | media_el | card_el
        | list_el | template_el | tag_el => "a message element (`text`, `reply`, `template`, ...)",
        section_el => "a part of a list (`row`, `section`, `header`, `footer`)",
        template_param => "a template parameter (`order = event.order_id`)",
        journey_member | audience | entry | exit_on | exit_leaves | goal | reentry | stage => {
            "`stage` or a journey setting (`audience`, `entry on`, `exit on`, `goal`, `reentry`)"
        }
        entry_every | entry_at | entry_joins => "`on`, `every`, `at` or `when`",
        every_days => "`day` or a weekday (`mon`, `mon..fri`, ...)",
        date => "a date (`2026-12-24`)",
        segment_ref => "a segment name",
        step | send_step | ask_step | wait_for_step | wait_until_step | wait_step | if_step | split_step
        | handoff_step | consent_step | revoke_step | set_step | tag_step | track_step | goto_step | exit_step
        | else_if => "a step (`send`, `ask`, `wait`, `if`, `goto`, ...)",
        timeout => "`timeout`",
        retries => "`retries`",
        arm | arm_label => "an outcome (`timeout => exit`)",

        // A path is tried as an expression only after a letter, where it cannot fail; where it fails,
        // a name was expected (`set 1 = x`).
        path => "a name",
        expr | paren | list | within | args | no_atom | boolean | money => "an expression",
        prefix => "`not`",
        binop | op_start => "an operator (`==`, `and`, `or`, ...)",

        kw_after => "`after`",
        kw_allows => "`allows`",
        kw_and => "`and`",
        kw_as => "`as`",
        kw_ask => "`ask`",
        kw_at => "`at`",
        kw_audience => "`audience`",
        kw_business => "`business_hours`",
        kw_button => "`button`",
        kw_card => "`card`",
        kw_channel => "`channel`",
        kw_consent => "`consent`",
        kw_day => "`day`",
        kw_else => "`else`",
        kw_encoding => "`encoding`",
        kw_entry => "`entry`",
        kw_enum => "`enum`",
        kw_event => "`event`",
        kw_every => "`every`",
        kw_exit => "`exit`",
        kw_false => "`false`",
        kw_for => "`for`",
        kw_frequency => "`frequency`",
        kw_goal => "`goal`",
        kw_goto => "`goto`",
        kw_handoff => "`handoff`",
        kw_if => "`if`",
        kw_import => "`import`",
        kw_in => "`in`",
        kw_inbound => "`inbound`",
        kw_joins => "`joins`",
        kw_journey => "`journey`",
        kw_jurisdiction => "`jurisdiction`",
        kw_keywords => "`keywords`",
        kw_lang => "`lang`",
        kw_leaves => "`leaves`",
        kw_limit => "`limit`",
        kw_list => "`list`",
        kw_medium => "`medium`",
        kw_message => "`message`",
        kw_most => "`most`",
        kw_never => "`never`",
        kw_not => "`not`",
        kw_on => "`on`",
        kw_or => "`or`",
        kw_outside => "`outside`",
        kw_per => "`per`",
        kw_policy => "`policy`",
        kw_profile => "`profile`",
        kw_quiet => "`quiet_hours`",
        kw_recipient => "`recipient`",
        kw_reentry => "`reentry`",
        kw_reply => "`reply`",
        kw_replies => "`replies`",
        kw_retries => "`retries`",
        kw_request => "`request`",
        kw_revoke => "`revoke`",
        kw_row => "`row`",
        kw_section => "`section`",
        kw_required => "`required`",
        kw_segment => "`segment`",
        kw_send => "`send`",
        kw_set => "`set`",
        kw_split => "`split`",
        kw_stage => "`stage`",
        kw_subject => "`subject`",
        kw_subtitle => "`subtitle`",
        kw_supports => "`supports`",
        kw_tag => "`tag`",
        kw_template => "`template`",
        kw_text => "`text`",
        kw_timeout => "`timeout`",
        kw_title => "`title`",
        kw_track => "`track`",
        kw_true => "`true`",
        kw_until => "`until`",
        kw_url => "`url`",
        kw_via => "`via`",
        kw_wait => "`wait`",
        kw_when => "`when`",
        kw_where => "`where`",
        kw_window => "`window`",
        kw_within => "`within`",
    };
    Some(name)
}

/// Joins deduplicated names into "A, B or C", keeping their first-seen order (pest reports
/// attempts in a deterministic order, so messages are stable).
pub fn describe_expected(rules: &[Rule]) -> Option<String> {
    let mut names: Vec<&'static str> = Vec::new();
    // After a name in an expression pest also expects `(` (a call such as `consent(...)`);
    // the operator list is what helps, so the parenthesis is left out then.
    let operator_expected = rules.contains(&Rule::binop) || rules.contains(&Rule::op_start);
    for rule in rules.iter().filter(|r| !(operator_expected && **r == Rule::lparen)) {
        if let Some(name) = rule_name(*rule) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    // A name is an expression: "expected a name or an expression" says the same thing twice.
    if names.contains(&"an expression") {
        names.retain(|n| *n != "a name");
    }
    // "end of line" reads best last.
    if let Some(pos) = names.iter().position(|n| *n == "end of line") {
        let eol = names.remove(pos);
        names.push(eol);
    }
    match names.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        [init @ .., last] => Some(format!("{} or {}", init.join(", "), last)),
    }
}
