# Glassroom — қазақ тілі

## Ережелер
rule-room_not_designated = Бөлме бейнебақылауы бар келіссөз бөлмесі емес (қызметтік кабинет ондай бола алмайды).
rule-room_not_equipped = Бөлмеде жұмыс істейтін бейнекамера мен дыбыс жазу жоқ{ $inputs ->
    [none] .
   *[other] : ақаулы кірістер { $inputs }.
}
rule-commission_quorum = Комиссия мүшелері жеткіліксіз: { $required } қажет, { $actual } тағайындалған (қабылдаушы есептелмейді).
rule-commission_conflict = Комиссия құрамында қабылдаушы немесе мүдделер қақтығысын мәлімдеген адамдар бар: { $people }.
rule-outside_working_hours = Кездесу ұйымның жұмыс уақытынан тыс: { $times }.
rule-tender_winner_outside_working_hours = Тендер жеңімпазымен (шарт { $contract }) жұмыс уақытынан тыс кездесуге тыйым салынған: { $times }.
rule-room_busy = Бөлме бұл уақытта бос емес: кездесу { $meetings }.
rule-participant_busy = Қатысушылар бұл уақытта басқа кездесуде: { $people }.
rule-quorum_not_present = Комиссия кворумы келмеді: { $required } қажет, { $actual } белгіленді.
rule-recording_not_active = Бөлменің барлық камералары мен микрофондары жазып тұрған жоқ{ $inputs ->
    [none] .
   *[other] : { $inputs }.
}
rule-recording_gap = Кездесу аралығын жазбамен қамту шектен төмен: { $coverage }.
rule-overran_working_hours = Кездесу іс жүзінде жұмыс уақытынан тыс өтті: { $times }.
rule-unregistered_contact = Кәсіпкер-келуші тіркелген кездесусіз ғимаратқа кірді.
rule-unreliable_supplier = Кәсіпкер мемлекеттік сатып алудың жосықсыз қатысушыларының тізіліміне ({ $registry }) { $since } бастап енгізілген.

severity-absolute = абсолютті
severity-blocking = бұғаттаушы
severity-warning = ескерту
severity-violation = бұзушылық

## API қателері
problem-unauthenticated = Жүйеге кіру қажет
problem-forbidden = Құқық жеткіліксіз
problem-not_found = Табылмады
problem-invalid = Деректер қате
problem-invalid_transition = Кездесу күйінің рұқсат етілмеген ауысуы
problem-refused = Әрекетке ережелер тыйым салады
problem-conflict = Бір мезгілдегі өзгерістер қақтығысы, қайталаңыз
problem-unavailable = Қойма уақытша қолжетімсіз
problem-internal = Сервердің ішкі қатесі
problem-method_not_allowed = Әдіс қолдау көрсетілмейді
problem-payload_too_large = Сұраныс тым үлкен

## Өріс қателері
field-required = «{ $field }» өрісі міндетті.
field-expired = Қолжетімділік мерзімі өтті: мақсатты қайта көрсетіңіз.
field-too_short = Тым қысқа: толығырақ жазыңыз.
field-invalid_cosignature = Куәгердің қолтаңбасы жарамсыз немесе куәгер журналға белгісіз.
field-too_long = «{ $field }» өрісі тым ұзын.
field-invalid_kind = «{ $field }» өрісінде рұқсат етілмеген түр.
field-invalid_bin = БСН қате: бақылау саны дұрыс 12 цифр қажет.
field-invalid_iin = ЖСН қате: бақылау саны дұрыс 12 цифр қажет.
field-end_before_start = Аяқталуы басталуынан кейін болуы керек.
field-in_past = Уақыт өтіп кетті.
field-unknown_organisation = Ұйым табылмады.
field-unknown_business = Мұндай БСН-ы бар кәсіпкерлік субъектісі тіркелмеген.
field-unknown_person = Қызметкер табылмады.
field-unknown_room = Бөлме табылмады.
field-host_not_official = Қабылдаушы осы ұйымның лауазымды адамы болуы керек.
field-not_commission_member = Бұл қызметкер ұйым комиссиясының мүшесі емес.
field-override_requires_compliance = Ереже әрекетін тек ұйымның комплаенс-офицері болдырмай алады.
field-unknown_rule = Белгісіз ереже.
field-justification_too_short = Жазбаша негіздеме қажет (кемінде 20 таңба).
field-check_in_too_early = Белгілену кездесуге бір сағат қалғанда ашылады.
field-too_early = Келмегенін жоспарланған басталудан кейін ғана белгілеуге болады.
field-protocol_signed = Хаттамаға қол қойылған, оны өзгерту мүмкін емес.
field-protocol_missing = Хаттама әлі жасалмаған.
field-not_present = Хаттамаға тек қатысқан комиссия мүшелері қол қояды.
field-protocol_not_signed = Хаттамаға қатысқан комиссия мүшелерінің бәрі қол қойған жоқ.
field-out_of_range = Мән рұқсат етілген ауқымнан тыс.
field-invalid_status = Белгісіз мәртебе.
field-invalid_cursor = Бет курсоры қате.
field-syntax = Синтаксистік қате.
field-unsupported_format = Файл пішімі қолдау көрсетілмейді.
field-duplicate = Қайталанатын мән.
field-invalid_time_zone = Белгісіз уақыт белдеуі.
field-invalid_hours = Жұмыс режимі қате.
field-invalid_date = Күн қате (ЖЖЖЖ-АА-КК күтіледі).
field-invalid_policy = Ереже баптауы қате.
field-invalid_role = Белгісіз рөл.
field-invalid_login = Логин қате.
field-not_ground_floor = Келіссөз бөлмесі бірінші қабатта болуы керек.
field-invalid_url = Дереккөз мекенжайы қате.
field-no_media = Дереккөз бейне, дыбыс немесе екеуін де беруі керек.
field-invalid_state = Дереккөздің белгісіз күйі.
field-unsupported_version = Файл нұсқасы қолдау көрсетілмейді.
field-cycle = Ұйым өзінің арғы ұйымы бола алмайды.
field-account_disabled = Есептік жазба өшірілген.
field-login_taken = Логин бос емес.
field-missing_offset = Уақытта UTC-дан ығысу болуы керек (мысалы, 2026-03-20T10:00:00+05:00).
field-invalid_timestamp = Күн мен уақыт қате.
field-invalid_json = JSON қате.
field-unknown_field = Белгісіз өріс.
field-invalid_type = Мән түрі қате.
field-missing_field = Міндетті өріс жоқ.

## Кездесу мәртебелері
status-requested = сұралды
status-scheduled = тағайындалды
status-in_progress = өтіп жатыр
status-completed = аяқталды
status-published = жарияланды
status-rejected = қабылданбады
status-cancelled = бас тартылды
status-no_show = келмеді
