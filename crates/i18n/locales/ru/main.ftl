# Glassroom — русский (язык по умолчанию)

## Правила
rule-room_not_designated = Помещение не является переговорной комнатой с видеонаблюдением (служебный кабинет не может ею быть).
rule-room_not_equipped = В помещении нет исправной видеокамеры и записи звука{ $inputs ->
    [none] .
   *[other] : неисправны входы { $inputs }.
}
rule-commission_quorum = Недостаточно членов комиссии: требуется { $required }, назначено { $actual } (принимающий не учитывается).
rule-commission_conflict = В составе комиссии принимающий или лица с заявленным конфликтом интересов: { $people }.
rule-outside_working_hours = Встреча выходит за рабочее время организации: { $times }.
rule-tender_winner_outside_working_hours = Встреча с победителем тендера (договор { $contract }) вне рабочего времени запрещена: { $times }.
rule-room_busy = Помещение занято в это время: встреча { $meetings }.
rule-participant_busy = Участники заняты на другой встрече в это время: { $people }.
rule-quorum_not_present = Кворум комиссии не явился: требуется { $required }, отметились { $actual }.
rule-recording_not_active = Не все камеры и микрофоны помещения ведут запись{ $inputs ->
    [none] .
   *[other] : { $inputs }.
}
rule-recording_gap = Покрытие записью интервала встречи ниже порога: { $coverage }.
rule-overran_working_hours = Встреча фактически проходила вне рабочего времени: { $times }.
rule-unregistered_contact = Посетитель-предприниматель вошёл в здание без зарегистрированной встречи.
rule-unreliable_supplier = Предприниматель включён в реестр недобросовестных участников государственных закупок ({ $registry }) с { $since }.

severity-absolute = абсолютное
severity-blocking = блокирующее
severity-warning = предупреждение
severity-violation = нарушение

## Ошибки API (заголовки problem+json)
problem-unauthenticated = Требуется вход в систему
problem-forbidden = Недостаточно прав
problem-not_found = Не найдено
problem-invalid = Некорректные данные
problem-invalid_transition = Недопустимый переход состояния встречи
problem-refused = Действие запрещено правилами
problem-conflict = Конфликт одновременных изменений, повторите
problem-unavailable = Хранилище временно недоступно
problem-internal = Внутренняя ошибка сервера
problem-method_not_allowed = Метод не поддерживается
problem-payload_too_large = Слишком большой запрос

## Ошибки полей
field-required = Поле «{ $field }» обязательно.
field-expired = Срок доступа истёк: укажите цель снова.
field-too_short = Слишком коротко: опишите подробнее.
field-invalid_cosignature = Подпись свидетеля недействительна или свидетель неизвестен журналу.
field-too_long = Поле «{ $field }» слишком длинное.
field-invalid_kind = Недопустимый вид в поле «{ $field }».
field-invalid_bin = Некорректный БИН: нужно 12 цифр с верной контрольной цифрой.
field-invalid_iin = Некорректный ИИН: нужно 12 цифр с верной контрольной цифрой.
field-end_before_start = Окончание должно быть позже начала.
field-in_past = Время уже прошло.
field-unknown_organisation = Организация не найдена.
field-unknown_business = Субъект предпринимательства с таким БИН не зарегистрирован.
field-unknown_person = Сотрудник не найден.
field-unknown_room = Помещение не найдено.
field-host_not_official = Принимающий должен быть должностным лицом этой организации.
field-not_commission_member = Этот сотрудник не входит в комиссию организации.
field-override_requires_compliance = Отменить действие правила может только комплаенс-офицер организации.
field-unknown_rule = Неизвестное правило.
field-justification_too_short = Нужно письменное обоснование (не менее 20 символов).
field-check_in_too_early = Отметка открывается за час до встречи.
field-too_early = Неявку можно отметить только после планового начала.
field-protocol_signed = Протокол уже подписан и не может быть изменён.
field-protocol_missing = Протокол ещё не составлен.
field-not_present = Подписывают протокол только присутствовавшие члены комиссии.
field-protocol_not_signed = Протокол подписан не всеми присутствовавшими членами комиссии.
field-out_of_range = Значение вне допустимого диапазона.
field-invalid_status = Неизвестный статус.
field-invalid_cursor = Некорректный курсор страницы.
field-syntax = Синтаксическая ошибка.
field-unsupported_format = Неподдерживаемый формат файла.
field-duplicate = Повторяющееся значение.
field-invalid_time_zone = Неизвестный часовой пояс.
field-invalid_hours = Некорректный режим работы.
field-invalid_date = Некорректная дата (ожидается ГГГГ-ММ-ДД).
field-invalid_policy = Некорректная настройка правил.
field-invalid_role = Неизвестная роль.
field-invalid_login = Некорректный логин.
field-not_ground_floor = Переговорная комната должна быть на первом этаже.
field-invalid_url = Некорректный адрес источника.
field-no_media = Источник должен передавать видео, звук или и то и другое.
field-invalid_state = Неизвестное состояние источника.
field-unsupported_version = Неподдерживаемая версия файла.
field-cycle = Организация не может быть своим предком.
field-account_disabled = Учётная запись отключена.
field-login_taken = Логин уже занят.
field-missing_offset = Время должно содержать смещение от UTC (например, 2026-03-20T10:00:00+05:00).
field-invalid_timestamp = Некорректная дата и время.
field-invalid_json = Некорректный JSON.
field-unknown_field = Неизвестное поле.
field-invalid_type = Неверный тип значения.
field-missing_field = Отсутствует обязательное поле.

## Статусы встречи
status-requested = запрошена
status-scheduled = назначена
status-in_progress = идёт
status-completed = завершена
status-published = опубликована
status-rejected = отклонена
status-cancelled = отменена
status-no_show = неявка
