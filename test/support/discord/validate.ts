// Discord's request-body validation, as far as this bot can run into it: the limits Discord
// enforces on messages, components, embeds, modals and application commands, answered the way
// Discord answers them — HTTP 400 `{code: 50035, message: 'Invalid Form Body', errors}` where
// `errors` is the nested tree Discord sends (`{components: {0: {components: {_errors: [...]}}}}`),
// which @discordjs/rest flattens into a DiscordAPIError message such as
// `components[0].components[BASE_TYPE_BAD_LENGTH]: Must be between 1 and 5 in length.`
// The numeric codes and the limits are Discord's; a few of the string codes inside `_errors`
// for rarer cases are close approximations.

export type Json = Record<string, unknown>;

export interface ApiErrorBody {
  message: string;
  code: number;
  errors?: Json;
  retry_after?: number;
  global?: boolean;
}

/** An error answer, thrown inside request handlers and turned into the HTTP response. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${body.message} (${body.code})`);
  }
}

export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Length as Discord counts it: Unicode code points, not UTF-16 units. */
export const textLength = (s: string): number => [...s].length;

type Path = readonly (string | number)[];

/** Collects field errors into Discord's nested `errors` tree. */
export class FormErrors {
  readonly tree: Json = {};
  count = 0;

  add(path: Path, code: string, message: string): void {
    let node = this.tree;
    for (const segment of path) {
      const key = String(segment);
      if (!isObj(node[key])) node[key] = {};
      node = node[key] as Json;
    }
    if (!Array.isArray(node._errors)) node._errors = [];
    (node._errors as { code: string; message: string }[]).push({ code, message });
    this.count++;
  }

  throwIfAny(): void {
    if (this.count > 0) {
      throw new ApiError(400, { code: 50035, message: 'Invalid Form Body', errors: this.tree });
    }
  }

  maxLength(path: Path, value: unknown, max: number): void {
    if (typeof value === 'string' && textLength(value) > max) {
      this.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
    }
  }

  /** A required string between min and max characters. */
  requiredLength(path: Path, value: unknown, min: number, max: number): void {
    if (value === undefined || value === null) {
      this.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    } else if (typeof value !== 'string') {
      this.add(path, 'BASE_TYPE_STRING', `Could not interpret "${String(value)}" as string.`);
    } else {
      const n = textLength(value);
      if (n < min || n > max)
        this.add(path, 'BASE_TYPE_BAD_LENGTH', `Must be between ${min} and ${max} in length.`);
    }
  }

  optionalString(path: Path, value: unknown, max: number): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string') {
      this.add(path, 'BASE_TYPE_STRING', `Could not interpret "${String(value)}" as string.`);
    } else {
      this.maxLength(path, value, max);
    }
  }

  intRange(path: Path, value: unknown, min: number, max: number): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(path, 'NUMBER_TYPE_COERCE', `Value "${String(value)}" is not int.`);
    } else if (value < min) {
      this.add(path, 'NUMBER_TYPE_MIN', `int value should be greater than or equal to ${min}.`);
    } else if (value > max) {
      this.add(path, 'NUMBER_TYPE_MAX', `int value should be less than or equal to ${max}.`);
    }
  }

  choice(path: Path, value: unknown, allowed: readonly number[]): void {
    if (typeof value !== 'number' || !allowed.includes(value)) {
      this.add(path, 'BASE_TYPE_CHOICES', `Value must be one of {${allowed.join(', ')}}.`);
    }
  }

  typeChoice(path: Path, value: unknown, allowed: readonly number[]): boolean {
    if (typeof value === 'number' && allowed.includes(value)) return true;
    this.add(
      [...path, 'type'],
      'UNION_TYPE_CHOICES',
      `Value of field "type" must be one of (${allowed.join(', ')}).`,
    );
    return false;
  }

  array(path: Path, value: unknown): value is unknown[] {
    if (Array.isArray(value)) return true;
    this.add(path, 'BASE_TYPE_ARRAY', 'Only iterables may be used in a ListType');
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Message payloads

export const MessageFlag = {
  SuppressEmbeds: 1 << 2,
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsVoiceMessage: 1 << 13,
  IsComponentsV2: 1 << 15,
} as const;

const BUTTON = 2;
const SELECTS = [3, 5, 6, 7, 8] as const;
const TEXT_INPUT = 4;

/** custom_ids must be unique within one message or one modal. */
class CustomIds {
  private readonly seen = new Set<string>();

  check(errs: FormErrors, path: Path, value: unknown): void {
    if (value === undefined || value === null) {
      errs.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
      return;
    }
    errs.requiredLength(path, value, 1, 100);
    if (typeof value === 'string') {
      if (this.seen.has(value)) {
        errs.add(path, 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
      }
      this.seen.add(value);
    }
  }
}

function validateButton(c: Json, errs: FormErrors, p: Path, ids: CustomIds): void {
  errs.choice([...p, 'style'], c.style, [1, 2, 3, 4, 5, 6]);
  errs.optionalString([...p, 'label'], c.label, 80);
  if (c.style === 5) {
    if (typeof c.url !== 'string' || c.url === '')
      errs.add([...p, 'url'], 'BASE_TYPE_REQUIRED', 'This field is required');
    else errs.maxLength([...p, 'url'], c.url, 512);
    if (c.custom_id !== undefined && c.custom_id !== null) {
      errs.add(
        [...p, 'custom_id'],
        'BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED',
        'A link button cannot have a custom id',
      );
    }
  } else if (c.style === 6) {
    if (c.sku_id === undefined) errs.add([...p, 'sku_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
  } else {
    ids.check(errs, [...p, 'custom_id'], c.custom_id);
    if (c.url !== undefined && c.url !== null) {
      errs.add([...p, 'url'], 'BUTTON_COMPONENT_URL_NOT_ALLOWED', 'Only link buttons can have a url');
    }
  }
  const hasLabel = typeof c.label === 'string' && c.label !== '';
  if (c.style !== 6 && !hasLabel && !isObj(c.emoji)) {
    errs.add(p, 'BUTTON_COMPONENT_INVALID', 'A button must have a label or an emoji');
  }
}

function validateSelect(c: Json, errs: FormErrors, p: Path, ids: CustomIds): void {
  ids.check(errs, [...p, 'custom_id'], c.custom_id);
  errs.optionalString([...p, 'placeholder'], c.placeholder, 150);
  errs.intRange([...p, 'min_values'], c.min_values, 0, 25);
  errs.intRange([...p, 'max_values'], c.max_values, 1, 25);
  if (c.type === 3) {
    if (!Array.isArray(c.options) || c.options.length < 1 || c.options.length > 25) {
      errs.add([...p, 'options'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 25 in length.');
    } else {
      const values = new Set<string>();
      c.options.forEach((o, k) => {
        const q = [...p, 'options', k];
        if (!isObj(o)) {
          errs.add(q, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
          return;
        }
        errs.requiredLength([...q, 'label'], o.label, 1, 100);
        errs.requiredLength([...q, 'value'], o.value, 1, 100);
        errs.optionalString([...q, 'description'], o.description, 100);
        if (typeof o.value === 'string') {
          if (values.has(o.value)) {
            errs.add(
              [...q, 'value'],
              'SELECT_COMPONENT_OPTION_VALUE_DUPLICATED',
              'Option values must be unique',
            );
          }
          values.add(o.value);
        }
      });
      const max = typeof c.max_values === 'number' ? c.max_values : 1;
      if (max > c.options.length) {
        errs.add(
          [...p, 'max_values'],
          'SELECT_COMPONENT_MAX_VALUES_TOO_LARGE',
          'max_values must be less than or equal to the number of options',
        );
      }
    }
  }
  if (typeof c.min_values === 'number' && typeof c.max_values === 'number' && c.min_values > c.max_values) {
    errs.add(
      [...p, 'min_values'],
      'SELECT_COMPONENT_MIN_VALUES_TOO_LARGE',
      'min_values must be at most max_values',
    );
  }
}

function validateActionRow(row: Json, errs: FormErrors, p: Path, ids: CustomIds): void {
  const kids = row.components;
  if (!Array.isArray(kids) || kids.length < 1 || kids.length > 5) {
    errs.add([...p, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
  }
  if (!Array.isArray(kids)) return;
  const hasSelect = kids.some((k) => isObj(k) && SELECTS.includes(k.type as 3));
  if (hasSelect && kids.length > 1) {
    errs.add(
      [...p, 'components'],
      'COMPONENT_LAYOUT_WIDTH_EXCEEDED',
      'The specified component exceeds the maximum width',
    );
  }
  kids.forEach((c, j) => {
    const q = [...p, 'components', j];
    if (!isObj(c) || !errs.typeChoice(q, c.type, [BUTTON, ...SELECTS])) return;
    if (c.type === BUTTON) validateButton(c, errs, q, ids);
    else validateSelect(c, errs, q, ids);
  });
}

function countComponents(list: unknown): number {
  if (!Array.isArray(list)) return 0;
  let n = 0;
  for (const c of list) {
    if (!isObj(c)) continue;
    n += 1 + countComponents(c.components) + (isObj(c.accessory) ? 1 : 0) + (isObj(c.component) ? 1 : 0);
  }
  return n;
}

function validateV2Component(
  c: unknown,
  errs: FormErrors,
  p: Path,
  ids: CustomIds,
  inContainer: boolean,
): void {
  const allowed = inContainer ? [1, 9, 10, 12, 13, 14] : [1, 9, 10, 12, 13, 14, 17];
  if (!isObj(c) || !errs.typeChoice(p, c.type, allowed)) return;
  switch (c.type) {
    case 1:
      validateActionRow(c, errs, p, ids);
      break;
    case 10:
      errs.requiredLength([...p, 'content'], c.content, 1, 4000);
      break;
    case 9: {
      const kids = c.components;
      if (!Array.isArray(kids) || kids.length < 1 || kids.length > 3) {
        errs.add([...p, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 3 in length.');
      } else {
        kids.forEach((k, j) => {
          const q = [...p, 'components', j];
          if (isObj(k) && errs.typeChoice(q, k.type, [10]))
            errs.requiredLength([...q, 'content'], k.content, 1, 4000);
        });
      }
      const acc = c.accessory;
      if (!isObj(acc)) errs.add([...p, 'accessory'], 'BASE_TYPE_REQUIRED', 'This field is required');
      else if (errs.typeChoice([...p, 'accessory'], acc.type, [2, 11]) && acc.type === 2) {
        validateButton(acc, errs, [...p, 'accessory'], ids);
      }
      break;
    }
    case 12:
      if (!Array.isArray(c.items) || c.items.length < 1 || c.items.length > 10) {
        errs.add([...p, 'items'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 10 in length.');
      }
      break;
    case 17:
      if (errs.array([...p, 'components'], c.components)) {
        c.components.forEach((k, j) => {
          validateV2Component(k, errs, [...p, 'components', j], ids, true);
        });
      }
      break;
    default:
      break;
  }
}

function validateComponents(value: unknown, errs: FormErrors, p: Path, v2: boolean): void {
  if (value === undefined || value === null) return;
  if (!errs.array(p, value)) return;
  const ids = new CustomIds();
  if (v2) {
    if (countComponents(value) > 40) {
      errs.add(p, 'BASE_TYPE_MAX_LENGTH', 'Must be 40 or fewer in length.');
    }
    value.forEach((c, i) => {
      validateV2Component(c, errs, [...p, i], ids, false);
    });
    return;
  }
  if (value.length > 5) errs.add(p, 'BASE_TYPE_MAX_LENGTH', 'Must be 5 or fewer in length.');
  value.forEach((row, i) => {
    const q = [...p, i];
    if (!isObj(row) || !errs.typeChoice(q, row.type, [1])) return;
    validateActionRow(row, errs, q, ids);
  });
}

function embedText(v: unknown): number {
  return typeof v === 'string' ? textLength(v) : 0;
}

function validateEmbeds(value: unknown, errs: FormErrors, p: Path): void {
  if (value === undefined || value === null) return;
  if (!errs.array(p, value)) return;
  if (value.length > 10) errs.add(p, 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
  let total = 0;
  value.forEach((e, i) => {
    const q = [...p, i];
    if (!isObj(e)) {
      errs.add(q, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    errs.optionalString([...q, 'title'], e.title, 256);
    errs.optionalString([...q, 'description'], e.description, 4096);
    total += embedText(e.title) + embedText(e.description);
    if (isObj(e.footer)) {
      errs.optionalString([...q, 'footer', 'text'], e.footer.text, 2048);
      total += embedText(e.footer.text);
    }
    if (isObj(e.author)) {
      errs.optionalString([...q, 'author', 'name'], e.author.name, 256);
      total += embedText(e.author.name);
    }
    if (e.fields !== undefined && errs.array([...q, 'fields'], e.fields)) {
      if (e.fields.length > 25)
        errs.add([...q, 'fields'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
      e.fields.forEach((f, k) => {
        const r = [...q, 'fields', k];
        if (!isObj(f)) return;
        errs.requiredLength([...r, 'name'], f.name, 1, 256);
        errs.requiredLength([...r, 'value'], f.value, 1, 1024);
        total += embedText(f.name) + embedText(f.value);
      });
    }
  });
  if (total > 6000) errs.add(p, 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
}

/**
 * Validates the message fields present in a create or edit body (`content`, `embeds`,
 * `components`). `prefix` is `['data']` for interaction callbacks, as Discord nests them.
 */
export function validateMessageFields(body: Json, errs: FormErrors, prefix: Path, v2: boolean): void {
  const content = body.content;
  if (content !== undefined && content !== null) {
    if (typeof content !== 'string') {
      errs.add(
        [...prefix, 'content'],
        'BASE_TYPE_STRING',
        `Could not interpret "${String(content)}" as string.`,
      );
    } else {
      errs.maxLength([...prefix, 'content'], content, 2000);
    }
  }
  validateEmbeds(body.embeds, errs, [...prefix, 'embeds']);
  validateComponents(body.components, errs, [...prefix, 'components'], v2);
  if (v2) {
    if (typeof content === 'string' && content !== '') {
      errs.add(
        [...prefix, 'content'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      );
    }
    if (Array.isArray(body.embeds) && body.embeds.length > 0) {
      errs.add(
        [...prefix, 'embeds'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      );
    }
  }
}

export interface MessageShape {
  content: string;
  embeds: readonly unknown[];
  components: readonly unknown[];
  attachments: readonly unknown[];
  sticker_ids?: readonly unknown[];
  poll?: unknown;
}

/** Discord's answer to a message with nothing in it. */
export function assertNotEmpty(m: MessageShape): void {
  const empty =
    m.content.trim() === '' &&
    m.embeds.length === 0 &&
    m.components.length === 0 &&
    m.attachments.length === 0 &&
    (m.sticker_ids?.length ?? 0) === 0 &&
    !m.poll;
  if (empty) throw new ApiError(400, { code: 50006, message: 'Cannot send an empty message' });
}

// ---------------------------------------------------------------------------------------------
// Modals

function validateTextInput(c: Json, errs: FormErrors, p: Path, ids: CustomIds, labelRequired: boolean): void {
  errs.choice([...p, 'style'], c.style, [1, 2]);
  ids.check(errs, [...p, 'custom_id'], c.custom_id);
  if (labelRequired) errs.requiredLength([...p, 'label'], c.label, 1, 45);
  else errs.optionalString([...p, 'label'], c.label, 45);
  errs.intRange([...p, 'min_length'], c.min_length, 0, 4000);
  errs.intRange([...p, 'max_length'], c.max_length, 1, 4000);
  errs.optionalString([...p, 'value'], c.value, 4000);
  errs.optionalString([...p, 'placeholder'], c.placeholder, 100);
  if (typeof c.min_length === 'number' && typeof c.max_length === 'number' && c.min_length > c.max_length) {
    errs.add(
      [...p, 'min_length'],
      'TEXT_INPUT_MIN_LENGTH_TOO_LARGE',
      'min_length must be at most max_length',
    );
  }
}

/** Validates a modal (interaction callback type 9), `p` being `['data']`. */
export function validateModal(data: unknown, errs: FormErrors, p: Path): void {
  if (!isObj(data)) {
    errs.add(p, 'BASE_TYPE_REQUIRED', 'This field is required');
    return;
  }
  const ids = new CustomIds();
  ids.check(errs, [...p, 'custom_id'], data.custom_id);
  errs.requiredLength([...p, 'title'], data.title, 1, 45);
  const top = data.components;
  if (!Array.isArray(top) || top.length < 1 || top.length > 5) {
    errs.add([...p, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
  }
  if (!Array.isArray(top)) return;
  top.forEach((c, i) => {
    const q = [...p, 'components', i];
    if (!isObj(c) || !errs.typeChoice(q, c.type, [1, 10, 18])) return;
    if (c.type === 1) {
      const kids = c.components;
      if (!Array.isArray(kids) || kids.length !== 1) {
        errs.add([...q, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 1 in length.');
        return;
      }
      const input = kids[0];
      const r = [...q, 'components', 0];
      if (isObj(input) && errs.typeChoice(r, input.type, [TEXT_INPUT]))
        validateTextInput(input, errs, r, ids, true);
    } else if (c.type === 10) {
      errs.requiredLength([...q, 'content'], c.content, 1, 4000);
    } else {
      errs.requiredLength([...q, 'label'], c.label, 1, 45);
      errs.optionalString([...q, 'description'], c.description, 100);
      const inner = c.component;
      const r = [...q, 'component'];
      if (!isObj(inner)) errs.add(r, 'BASE_TYPE_REQUIRED', 'This field is required');
      else if (errs.typeChoice(r, inner.type, [TEXT_INPUT, ...SELECTS, 19])) {
        if (inner.type === TEXT_INPUT) validateTextInput(inner, errs, r, ids, false);
        else if (inner.type === 19) ids.check(errs, [...r, 'custom_id'], inner.custom_id);
        else validateSelect(inner, errs, r, ids);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Application commands

const NAME_RE = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function validateName(errs: FormErrors, p: Path, name: unknown, chatInput: boolean): void {
  errs.requiredLength(p, name, 1, 32);
  if (chatInput && typeof name === 'string' && (!NAME_RE.test(name) || name !== name.toLowerCase())) {
    errs.add(p, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  }
}

function validateOptions(options: unknown, errs: FormErrors, p: Path, depth: number): void {
  if (options === undefined || options === null) return;
  if (!errs.array(p, options)) return;
  if (options.length > 25) errs.add(p, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
  const names = new Set<string>();
  let sawOptional = false;
  options.forEach((o, i) => {
    const q = [...p, i];
    if (!isObj(o)) return;
    errs.choice([...q, 'type'], o.type, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    validateName(errs, [...q, 'name'], o.name, true);
    errs.requiredLength([...q, 'description'], o.description, 1, 100);
    if (typeof o.name === 'string') {
      if (names.has(o.name)) {
        errs.add([...q, 'name'], 'APPLICATION_COMMAND_OPTION_NAME_NOT_UNIQUE', 'Option names must be unique');
      }
      names.add(o.name);
    }
    const sub = o.type === 1 || o.type === 2;
    if (sub) {
      if (depth >= 2)
        errs.add([...q, 'type'], 'APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Subcommands nest too deeply');
      validateOptions(o.options, errs, [...q, 'options'], depth + 1);
      return;
    }
    if (o.required === true && sawOptional) {
      errs.add(
        [...q, 'required'],
        'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
        'Required options must be placed before non-required options',
      );
    }
    if (o.required !== true) sawOptional = true;
    if (o.choices !== undefined && errs.array([...q, 'choices'], o.choices)) {
      if (o.choices.length > 25)
        errs.add([...q, 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
      o.choices.forEach((c, k) => {
        if (isObj(c)) errs.requiredLength([...q, 'choices', k, 'name'], c.name, 1, 100);
      });
    }
  });
}

/** Validates the body of a bulk overwrite (`PUT /applications/:id/commands`). */
export function validateCommands(body: unknown, errs: FormErrors): asserts body is unknown[] {
  if (!Array.isArray(body)) {
    errs.add([], 'BASE_TYPE_ARRAY', 'Only iterables may be used in a ListType');
    errs.throwIfAny();
    return;
  }
  const perType = new Map<number, Set<string>>();
  body.forEach((c, i) => {
    const p = [i];
    if (!isObj(c)) {
      errs.add(p, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    const type = c.type ?? 1;
    errs.choice([...p, 'type'], type, [1, 2, 3, 4]);
    validateName(errs, [...p, 'name'], c.name, type === 1);
    if (type === 1) errs.requiredLength([...p, 'description'], c.description, 1, 100);
    else if (typeof c.description === 'string' && c.description !== '') {
      errs.add(
        [...p, 'description'],
        'APPLICATION_COMMAND_DESCRIPTION_INVALID',
        'Only chat input commands have a description',
      );
    }
    if (type === 1) validateOptions(c.options, errs, [...p, 'options'], 0);
    if (c.integration_types !== undefined && c.integration_types !== null) {
      if (errs.array([...p, 'integration_types'], c.integration_types)) {
        c.integration_types.forEach((t, k) => {
          errs.choice([...p, 'integration_types', k], t, [0, 1]);
        });
      }
    }
    if (c.contexts !== undefined && c.contexts !== null) {
      if (errs.array([...p, 'contexts'], c.contexts)) {
        c.contexts.forEach((t, k) => {
          errs.choice([...p, 'contexts', k], t, [0, 1, 2]);
        });
      }
    }
    const dmp = c.default_member_permissions;
    if (dmp !== undefined && dmp !== null && (typeof dmp !== 'string' || !/^\d+$/.test(dmp))) {
      errs.add(
        [...p, 'default_member_permissions'],
        'BASE_TYPE_STRING',
        'Must be a permission bitfield string',
      );
    }
    if (typeof c.name === 'string' && typeof type === 'number') {
      const seen = perType.get(type) ?? new Set<string>();
      if (seen.has(c.name)) {
        errs.add(
          [...p, 'name'],
          'APPLICATION_COMMANDS_DUPLICATE_NAME',
          'Application command names must be unique',
        );
      }
      seen.add(c.name);
      perType.set(type, seen);
    }
  });
  const chatInput = body.filter((c) => isObj(c) && (c.type ?? 1) === 1).length;
  if (chatInput > 100) errs.add([], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
  errs.throwIfAny();
}
